using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Inference.Tests;

/// <summary>
/// The binary tensor data extension as a client builds and reads it, written from the protocol description
/// (not the server's code): a JSON header of <c>Inference-Header-Content-Length</c> bytes, then raw tensors;
/// BYTES elements are a little-endian u32 length followed by the bytes.
/// </summary>
internal static class V2Wire
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    public static byte[] BytesTensor(params string[] elements)
    {
        using var blob = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var element in elements)
        {
            var bytes = Encoding.UTF8.GetBytes(element);
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
            blob.Write(length);
            blob.Write(bytes);
        }

        return blob.ToArray();
    }

    public static List<string> ReadBytesTensor(ReadOnlySpan<byte> blob)
    {
        var elements = new List<string>();
        while (!blob.IsEmpty)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(blob);
            elements.Add(Encoding.UTF8.GetString(blob.Slice(4, length)));
            blob = blob[(4 + length)..];
        }

        return elements;
    }

    /// <summary>A binary request: <paramref name="json"/> then <paramref name="binary"/>, the header saying where the JSON ends.</summary>
    public static HttpRequestMessage Request(string path, string json, byte[] binary, string? headerLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var content = new ByteArrayContent([.. header, .. binary]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add(HeaderLength, headerLength ?? header.Length.ToString(CultureInfo.InvariantCulture));
        return request;
    }

    /// <summary>Splits a binary response into its JSON header and the raw tensor data after it.</summary>
    public static async Task<(JsonElement Json, byte[] Binary)> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        var length = int.Parse(Assert.Single(response.Headers.GetValues(HeaderLength)), CultureInfo.InvariantCulture);
        using var document = JsonDocument.Parse(body.AsMemory(0, length));
        return (document.RootElement.Clone(), body[length..]);
    }
}
