#!/usr/bin/env bash
# Builds the three images the cluster manifests name (inference, downloader, console) with the .NET SDK's container
# publishing: no Dockerfile, no Docker daemon. Settings live in the projects (build/Containers.targets).
#
#   build/images.sh [--registry REGISTRY] [--tag TAG] [--push] [--archive-dir DIR] [--base IMAGE]
#                   [--torch-backend cpu|cuda] [--artifacts-path DIR] [--only inference|downloader|console]...
#
# Images are named REGISTRY/tensorizer-dotnet/NAME:TAG (without --registry: tensorizer-dotnet/NAME:TAG), the names
# `dotnet run --project AppHost -- publish --registry REGISTRY --tag TAG` writes into the manifests.
#   --push          push to REGISTRY (credentials from ~/.docker/config.json, as `docker login` leaves them)
#   (default)       write NAME.tar.gz archives to --archive-dir (default artifacts/images), for `podman load`,
#                   `docker load` or `skopeo copy docker-archive:...`
#   --tag           default: the product's Version in Directory.Build.props
#   --base          the base image (default: Microsoft's mcr.microsoft.com/dotnet/runtime-deps for self-contained apps)
#   --torch-backend cuda: the GPU build of the inference and downloader images (TorchSharp-cuda-linux); not served
#                   to the project's build machine, so it cannot be built there
# Prints each image's archive size, its application layer and the libtorch part of it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

registry="" tag="" push=false archive_dir="" base="" backend=cpu artifacts="$root/artifacts/image-build" only=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --registry) registry="${2%/}"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --push) push=true; shift ;;
    --archive-dir) archive_dir="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --torch-backend) backend="$2"; shift 2 ;;
    --artifacts-path) artifacts="$2"; shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done

if [[ "$backend" != cpu && "$backend" != cuda ]]; then
  echo "error: --torch-backend '$backend' is not cpu or cuda" >&2; exit 2
fi
if [[ -z "$tag" ]]; then
  tag="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -n 1)"
fi
if $push && [[ -z "$registry" ]]; then
  echo "error: --push needs --registry" >&2; exit 2
fi
if ! $push; then
  archive_dir="${archive_dir:-$root/artifacts/images}"
  mkdir -p "$archive_dir"
  archive_dir="$(cd "$archive_dir" && pwd)"
fi

# name → project
declare -A projects=([inference]=Inference/Inference.csproj [downloader]=Downloader/Downloader.csproj [console]=Console.Blazor/Console.Blazor.csproj)
names=(inference downloader console)
if [[ ${#only[@]} -gt 0 ]]; then
  for name in "${only[@]}"; do
    [[ -n "${projects[$name]:-}" ]] || { echo "error: --only '$name' is not inference, downloader or console" >&2; exit 2; }
  done
  names=("${only[@]}")
fi

summary=()
for name in "${names[@]}"; do
  args=(publish "$root/${projects[$name]}" -c Release -r linux-x64 -p:SelfContained=true -t:PublishContainer
        --artifacts-path "$artifacts" -p:ContainerImageTag="$tag" -p:TorchBackend="$backend" -nologo)
  [[ -n "$registry" ]] && args+=(-p:ContainerRegistry="$registry")
  [[ -n "$base" ]] && args+=(-p:ContainerBaseImage="$base")
  $push || args+=(-p:ContainerArchiveOutputPath="$archive_dir/$name.tar.gz")
  image="${registry:+$registry/}tensorizer-dotnet/$name:$tag"
  echo "== $image"
  dotnet "${args[@]}"

  published="$artifacts/publish/$(basename "${projects[$name]}" .csproj)/release_linux-x64"
  app_mib=$(( $(du -sb "$published" | cut -f1) / 1048576 ))
  torch_mib=$(( $(find "$published" -maxdepth 1 -name 'libtorch*' -printf '%s\n' | awk '{s+=$1} END {print s+0}') / 1048576 ))
  line="$image: application layer ${app_mib} MiB (libtorch ${torch_mib} MiB)"
  if ! $push; then
    line+=", archive $(( $(stat -c %s "$archive_dir/$name.tar.gz") / 1048576 )) MiB: $archive_dir/$name.tar.gz"
  fi
  summary+=("$line")
done

echo
echo "Images:"
printf '  %s\n' "${summary[@]}"
