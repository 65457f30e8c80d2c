using System.CommandLine;
using System.Diagnostics;
using Tensorizer.Reading;

namespace Downloader.Commands;

/// <summary>
/// <c>verify FILE</c>: checks every tensor's CRC32 and SHA-256 (of the plaintext, for encrypted files); exit 0 when
/// intact, 1 on any mismatch or a tensor that fails authentication (wrong key, tampered ciphertext).
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var location = new LocationOptions();
        var keys = new KeyOptions();
        var readers = CliOptions.Readers();
        var chunk = CliOptions.ChunkMiB();
        var command = new Command("verify", "Check every tensor's stored hashes.") { readers, chunk };
        location.AddTo(command);
        keys.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            await using var tensors = await location.OpenAsync(parse, ct);
            var options = new LoadOptions { Readers = parse.GetValue(readers), ChunkSize = parse.GetValue(chunk) << 20, Decryption = keys.Resolve(parse) };
            var clock = Stopwatch.StartNew();
            IReadOnlyList<Tensorizer.Format.TensorHashMismatchException> mismatches;
            try
            {
                mismatches = await tensors.VerifyAsync(options, new ProgressLine("verify", clock), ct);
            }
            catch (Tensorizer.Crypto.TensorDecryptionException e) when (e.Failure == Tensorizer.Crypto.DecryptionFailure.AuthenticationFailed)
            {
                Console.Error.WriteLine();
                Console.Out.WriteLine($"FAILED: {e.Message}");
                return ExitCodes.VerificationFailed;
            }

            Console.Error.WriteLine();
            foreach (var mismatch in mismatches)
            {
                Console.Out.WriteLine($"MISMATCH {mismatch.Message}");
            }

            var failed = mismatches.Select(m => m.TensorName).Distinct().Count();
            Console.Out.WriteLine(failed == 0
                ? $"OK: {tensors.Index.Count} tensors, {InspectCommand.Bytes(tensors.Index.DataBytes)} verified in {clock.Elapsed.TotalSeconds:0.00} s"
                : $"FAILED: {failed} of {tensors.Index.Count} tensors do not match their hashes");
            return failed == 0 ? ExitCodes.Success : ExitCodes.VerificationFailed;
        });
        return command;
    }
}
