using System.Text.Json;
using k8s.Autorest;

namespace AdminConsole.Services.Conversions.Kubernetes;

/// <summary>The API server's own message (its Status object's <c>message</c>) rather than the client's generic one.</summary>
internal static class KubernetesErrors
{
    public static string MessageOf(Exception e)
    {
        if (e is HttpOperationException { Response.Content: { Length: > 0 } content } http)
        {
            try
            {
                using var status = JsonDocument.Parse(content);
                if (status.RootElement.TryGetProperty("message", out var message))
                {
                    return $"{(int)http.Response.StatusCode} {message.GetString()}";
                }
            }
            catch (JsonException)
            {
                return $"{(int)http.Response.StatusCode} {content}";
            }
        }

        return e.Message;
    }
}
