namespace Benchmarks.Support;

/// <summary>GPT-J's parameter names and shapes (as Hugging Face's GPTJForCausalLM), for demo and benchmark files.</summary>
internal static class GptjShapes
{
    public static IEnumerable<(string Name, long[] Shape)> Parameters(int embedding, int layers, int vocabulary)
    {
        var inner = 4L * embedding;
        yield return ("transformer.wte.weight", [vocabulary, embedding]);
        for (var i = 0; i < layers; i++)
        {
            var p = $"transformer.h.{i}.";
            yield return (p + "ln_1.weight", [embedding]);
            yield return (p + "ln_1.bias", [embedding]);
            foreach (var projection in new[] { "k_proj", "v_proj", "q_proj", "out_proj" })
            {
                yield return (p + $"attn.{projection}.weight", [embedding, embedding]);
            }

            yield return (p + "mlp.fc_in.weight", [inner, embedding]);
            yield return (p + "mlp.fc_in.bias", [inner]);
            yield return (p + "mlp.fc_out.weight", [embedding, inner]);
            yield return (p + "mlp.fc_out.bias", [embedding]);
        }

        yield return ("transformer.ln_f.weight", [embedding]);
        yield return ("transformer.ln_f.bias", [embedding]);
        yield return ("lm_head.weight", [vocabulary, embedding]);
        yield return ("lm_head.bias", [vocabulary]);
    }
}
