using System.CommandLine;
using Downloader.Commands;
using Tensorizer.Format;

// The hugepage switch must reach libtorch's native getenv before TorchSharp loads it.
Tensorizer.Torch.TorchRuntime.EnableTransparentHugePages();

var root = new RootCommand("Fetch checkpoints, convert them to tensorizer .tensors files, inspect and verify them.")
{
    ConvertCommand.Create(),
    InspectCommand.Create(),
    VerifyCommand.Create(),
    DemoCommand.Create(),
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    return ExitCodes.BadInput;
}

try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is TensorizerException or IOException or InvalidDataException or NotSupportedException or System.Text.Json.JsonException
    or UnauthorizedAccessException or HttpRequestException or ArgumentException or UriFormatException)
{
    // Bad or unreachable input: say what, not where in our code.
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.BadInput;
}
