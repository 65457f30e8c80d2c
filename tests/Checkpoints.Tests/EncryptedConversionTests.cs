using System.Security.Cryptography;
using Checkpoints.Conversion;
using Checkpoints.Outputs;
using Tensorizer.Crypto;
using Tensorizer.Reading;

namespace Checkpoints.Tests;

/// <summary>An encrypted conversion decrypts to the plain one's tensors, and its marker keeps other encryptions from being skipped.</summary>
public sealed class EncryptedConversionTests : IDisposable
{
    private readonly TempDirectory _root = new("checkpoints-encrypted-");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task An_encrypted_folder_decrypts_to_the_plain_conversion_and_only_the_same_key_is_skipped()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var plain = new ConversionRequest { Source = "builtin://tiny-gptj", Output = _root.File("plain"), Dtype = "float32" };
        var encrypted = plain with { Output = _root.File("encrypted"), Encryption = TensorEncryption.FromKey(key) };
        await ModelConverter.ConvertAsync(plain);
        Assert.False((await ModelConverter.ConvertAsync(encrypted)).Skipped);

        var marker = await CompletionMarker.ReadAsync(encrypted.Output, CancellationToken.None);
        Assert.StartsWith("key:", marker!.Encryption, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(key)[..16], marker.Encryption, StringComparison.Ordinal);
        Assert.Null((await CompletionMarker.ReadAsync(plain.Output, CancellationToken.None))!.Encryption);

        var expected = await ReadAsync(plain.Output, key: null);
        var actual = await ReadAsync(encrypted.Output, DecryptionKey.FromKey(key));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, e => Assert.Equal(e.Value, actual[e.Key]));

        Assert.True((await ModelConverter.ConvertAsync(encrypted with { Encryption = TensorEncryption.FromKey(key) })).Skipped);
        Assert.False((await ModelConverter.ConvertAsync(encrypted with { Encryption = TensorEncryption.Random() })).Skipped);
        Assert.False((await ModelConverter.ConvertAsync(encrypted with { Encryption = null })).Skipped);
        Assert.Null((await CompletionMarker.ReadAsync(encrypted.Output, CancellationToken.None))!.Encryption);
        Assert.Equal(expected.Count, (await ReadAsync(encrypted.Output, key: null)).Count);
    }

    [Fact]
    public void A_marker_tells_plain_keys_and_passphrases_apart_and_old_markers_read_as_plain()
    {
        var old = CompletionMarker.FromJson("""{"Source":"s","Revision":"r","Dtype":"float16","Tensors":1,"Bytes":2}"""u8);
        var plain = new CompletionMarker("s", "r", "float16", 0, 0);
        Assert.True(plain.SameConversion(old!));
        var key = RandomNumberGenerator.GetBytes(32);
        var keyed = plain with { Encryption = EncryptionLabel.Of(TensorEncryption.FromKey(key)) };
        Assert.False(keyed.SameConversion(old!));
        Assert.True(keyed.SameConversion(plain with { Encryption = EncryptionLabel.Of(TensorEncryption.FromKey(key)) }));
        Assert.Equal(EncryptionLabel.Passphrase, EncryptionLabel.Of(TensorEncryption.FromPassphrase("correct horse", opsLimit: 1, memLimit: 8 << 20)));
        Assert.Equal(keyed, CompletionMarker.FromJson(keyed.ToJson()));
    }

    private static async Task<IReadOnlyDictionary<string, byte[]>> ReadAsync(string folder, DecryptionKey? key)
    {
        await using var file = await TensorFile.OpenAsync(Path.Combine(folder, "model.tensors"));
        Assert.Equal(key is not null, file.Header.HasCryptInfo);
        return await file.ReadBytesAsync(options: new LoadOptions { Decryption = key });
    }
}
