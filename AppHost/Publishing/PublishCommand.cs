using System.CommandLine;

namespace AppHost.Publishing;

/// <summary>
/// <c>publish [--platform kserve|t9k] [--output deploy/PLATFORM] [options]</c>: writes the cluster manifests with the seed's
/// defaults. Runs on its own, before (and instead of) the distributed application: no DCP, no dashboard, no Docker.
/// </summary>
public static class PublishCommand
{
    public const int Success = 0;
    public const int BadOptions = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var folder = new Option<string?>("--output", "-o") { Description = "Folder to write the manifests to (default: deploy/kserve or deploy/t9k)." };
        var command = new RootCommand("Write the cluster manifests: model volume, converter job, serving resources, console.") { folder };
        var bindings = PublishOptions.Bindings();
        foreach (var binding in bindings)
        {
            command.Options.Add(binding.Option);
        }

        command.SetAction(async (parsed, ct) =>
        {
            var options = bindings.Aggregate(new DeploymentOptions(), (options, binding) => binding.Apply(options, parsed));
            var problems = options.Validate();
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"error: {problem}");
            }

            if (problems.Count > 0)
            {
                return BadOptions;
            }

            var destination = parsed.GetValue(folder) ?? Path.Combine("deploy", options.Platform == Platform.T9k ? "t9k" : "kserve");
            foreach (var path in ManifestWriter.Write(ManifestSet.Build(options), destination))
            {
                await output.WriteLineAsync($"wrote {path}");
            }

            return Success;
        });

        var parsed = command.Parse(args);
        foreach (var problem in parsed.Errors)
        {
            await error.WriteLineAsync($"error: {problem.Message}");
        }

        return parsed.Errors.Count > 0 ? BadOptions : await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
