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
#   (default)       write NAME.tar.gz archives to --archive-dir (default artifacts/images), for `podman load`
#   --tag           default: the product's Version in Directory.Build.props
#   --base          the base image (default: Microsoft's mcr.microsoft.com/dotnet/runtime-deps for self-contained apps)
#   --debian-base   no registry outside needed (as on the project's build machine): makes a Debian 12 base with
#                   debootstrap (root file system cached in ~/.cache/tensorizer-dotnet/container-base), commits it with
#                   buildah and serves it to the SDK from a docker-registry on 127.0.0.1 for the build; needs root and
#                   `apt-get install -y debootstrap buildah docker-registry`; removes its registry and storage after
#   --torch-backend cuda: the GPU build (TorchSharp-cuda-linux; use with --only inference); the package is not
#                   served to the project's build machine, so it cannot be built there
#   --artifacts-path where the Release build goes (default artifacts/image-build), apart from bin/ and obj/
# Prints each image's archive size, its application layer and the libtorch part of it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

registry="" tag="" push=false archive_dir="" base="" debian_base=false backend=cpu artifacts="$root/artifacts/image-build" only=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --registry) registry="${2%/}"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --push) push=true; shift ;;
    --archive-dir) archive_dir="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --debian-base) debian_base=true; shift ;;
    --torch-backend) backend="$2"; shift 2 ;;
    --artifacts-path) artifacts="$2"; shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    -h|--help) sed -n '/^# Builds/,/^# Prints/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

if $debian_base; then
  [[ -z "$base" ]] || { echo "error: --base and --debian-base exclude each other" >&2; exit 2; }
  [[ $EUID -eq 0 ]] || { echo "error: --debian-base needs root (debootstrap, buildah's storage)" >&2; exit 2; }
  for tool in debootstrap buildah docker-registry; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || {
      echo "error: --debian-base needs $tool: apt-get install -y debootstrap buildah docker-registry" >&2; exit 2; }
  done
  export PATH="$PATH:/usr/sbin:/sbin"

  # The root file system, made once: Debian 12 minbase with .NET's dependencies and the images' user (1654, "app").
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/tensorizer-dotnet/container-base"
  rootfs="$cache/bookworm-minbase-1"   # bump the number when the packages or the set-up change
  if [[ ! -d "$rootfs" ]]; then
    mkdir -p "$cache"
    partial="$(mktemp -d "$cache/.partial-XXXXXX")" && chmod 755 "$partial"   # the image's /
    echo "== debootstrap bookworm (cached in $rootfs)"
    debootstrap --variant=minbase --include=libicu72,libssl3,zlib1g,ca-certificates,libstdc++6,libgcc-s1 \
      bookworm "$partial" http://deb.debian.org/debian >"$partial.log" 2>&1 || { cat "$partial.log" >&2; rm -rf "$partial" "$partial.log"; exit 1; }
    rm -f "$partial.log"
    echo 'app:x:1654:1654:app:/home/app:/usr/sbin/nologin' >>"$partial/etc/passwd"
    echo 'app:x:1654:' >>"$partial/etc/group"
    mkdir -p "$partial/home/app" && chown 1654:1654 "$partial/home/app"
    rm -rf "$partial"/var/cache/apt/archives/*.deb "$partial"/var/lib/apt/lists/*
    mv -T "$partial" "$rootfs" 2>/dev/null || rm -rf "$partial"   # another run may have cached it first
  fi

  # buildah's storage, the registry's storage and the SDK's layer cache in one temporary folder, removed on exit.
  work="$(mktemp -d -t tensorizer-images-XXXXXX)"
  registry_pid=""
  cleanup() {
    if [[ -n "$registry_pid" ]]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
    rm -rf "$work"
  }
  trap cleanup EXIT
  export CONTAINERS_STORAGE_CONF="$work/storage.conf" XDG_CACHE_HOME="$work/sdk-cache"
  printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' "$work/graph" "$work/run" >"$CONTAINERS_STORAGE_CONF"

  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$work/registry" "$port" >"$work/registry.yml"
  docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/', timeout=1)" 2>/dev/null && break
    kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry.log" >&2; exit 1; }
    sleep 0.1
  done

  # The SDK speaks plain HTTP to registries named localhost.
  base="localhost:$port/tensorizer-dotnet/base:bookworm"
  echo "== base image $base"
  ctr="$(buildah from scratch)"
  buildah copy "$ctr" "$rootfs/" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env APP_UID=1654 "$ctr"
  buildah commit --quiet --rm "$ctr" localhost/tensorizer-dotnet-base:bookworm >/dev/null
  buildah push --quiet --tls-verify=false localhost/tensorizer-dotnet-base:bookworm "docker://$base"
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
