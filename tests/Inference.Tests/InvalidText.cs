using System.Net.Http.Headers;
using System.Text;

namespace Inference.Tests;

/// <summary>Request bodies holding text that is not Unicode: escaped lone surrogates are written in the JSON as is; raw bytes need this.</summary>
internal static class InvalidText
{
    /// <summary>The marker replaced by the raw byte 0xFF, which is never valid UTF-8.</summary>
    public const string RawByte = "<FF>";

    /// <summary><paramref name="json"/> as UTF-8, with 0xFF wherever it has <see cref="RawByte"/>.</summary>
    public static ByteArrayContent Body(string json)
    {
        var parts = json.Split(RawByte);
        var bytes = new List<byte>();
        for (var i = 0; i < parts.Length; i++)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(parts[i]));
            if (i < parts.Length - 1)
            {
                bytes.Add(0xFF);
            }
        }

        var content = new ByteArrayContent([.. bytes]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
