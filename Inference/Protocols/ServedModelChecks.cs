using Inference.Serving;

namespace Inference.Protocols;

/// <summary>The check every protocol makes of the model a request names, answered in each protocol's shape by its error mapping.</summary>
internal static class ServedModelChecks
{
    /// <summary>The request's model must be the one served (404 otherwise), and loaded (503 until then).</summary>
    /// <exception cref="ModelNotFoundException">Another name.</exception>
    /// <exception cref="ModelNotReadyException">Not loaded.</exception>
    public static void EnsureServes(this IServedModel model, string name)
    {
        if (name != model.Name)
        {
            throw new ModelNotFoundException(name);
        }

        if (!model.IsReady)
        {
            throw new ModelNotReadyException(name);
        }
    }
}
