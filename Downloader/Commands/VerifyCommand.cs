using System.CommandLine;
using System.Diagnostics;
using Tensorizer.Reading;

namespace Downloader.Commands;

/// <summary>
/// <c>verify FILE</c>: accounts for every byte of the file and checks every tensor's CRC32 and SHA-256 (of the
/// plaintext, for encrypted files); exit 0 when whole and intact, 1 on a hash mismatch or a tensor that fails
/// authentication (wrong key, tampered ciphertext), 2 when bytes are unaccounted for (a wrong count, appended bytes).
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var location = new LocationOptions();
        var keys = new KeyOptions();
        var readers = CliOptions.Readers();
        var chunk = CliOptions.ChunkMiB();
        var command = new Command("verify", "Check every tensor's stored hashes and that the index accounts for every byte.") { readers, chunk };
        location.AddTo(command);
        keys.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (location.IsSafetensors(parse))
            {
                return await SafetensorsCommands.VerifyAsync(location, parse, new LoadOptions { Readers = parse.GetValue(readers), ChunkSize = parse.GetValue(chunk) << 20 }, ct);
            }

            await using var tensors = await location.OpenAsync(parse, ct);
            var options = new LoadOptions { Readers = parse.GetValue(readers), ChunkSize = parse.GetValue(chunk) << 20, Decryption = keys.Resolve(parse) };
            var clock = Stopwatch.StartNew();
            var account = await FileAccounting.CheckAsync(tensors, ct);
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
            foreach (var unaccounted in account.Unaccounted)
            {
                Console.Out.WriteLine($"UNACCOUNTED {unaccounted}");
            }

            foreach (var mismatch in mismatches)
            {
                Console.Out.WriteLine($"MISMATCH {mismatch.Message}");
            }

            var failed = mismatches.Select(m => m.TensorName).Distinct().Count();
            Console.Out.WriteLine(Summary(tensors, account, failed, clock.Elapsed));
            return !account.IsWhole ? ExitCodes.BadInput : failed == 0 ? ExitCodes.Success : ExitCodes.VerificationFailed;
        });
        return command;
    }

    /// <summary>Bytes the index does not explain make the file malformed (exit 2), whatever the hashes say.</summary>
    private static string Summary(TensorFile tensors, FileAccount account, int failed, TimeSpan elapsed)
    {
        var hashes = failed == 0 ? "" : $"; {failed} of {tensors.Index.Count} tensors do not match their hashes";
        if (!account.IsWhole)
        {
            var bytes = account.Unaccounted.Sum(u => u.Length);
            return $"FAILED: {account.Unaccounted.Count} byte ranges ({bytes} bytes) are not accounted for by the header and the index of {tensors.Index.Count} tensors{hashes}";
        }

        if (failed > 0)
        {
            return $"FAILED: {failed} of {tensors.Index.Count} tensors do not match their hashes";
        }

        var ending = account.HasTerminator ? "" : "; no terminator after the last tensor (tensorizer 1.1.0 cannot read the file)";
        return $"OK: {tensors.Index.Count} tensors, {InspectCommand.Bytes(tensors.Index.DataBytes)} verified in {elapsed.TotalSeconds:0.00} s, every byte accounted for{ending}";
    }
}
