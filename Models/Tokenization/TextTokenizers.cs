using Models.Tokenization.HuggingFace;

namespace Models.Tokenization;

/// <summary>
/// The tokenizer of a model folder, by the files it has: <c>tokenizer.json</c> (a Hugging Face fast tokenizer, read
/// with <c>tokenizer_config.json</c>) when present, else GPT-2's <c>vocab.json</c> + <c>merges.txt</c>.
/// </summary>
public static class TextTokenizers
{
    /// <exception cref="FileNotFoundException">The folder has no tokenizer files.</exception>
    /// <exception cref="InvalidDataException">A tokenizer file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">The tokenizer uses something not supported, named.</exception>
    public static ITextTokenizer Load(string modelFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFolder);
        return File.Exists(Path.Combine(modelFolder, HuggingFaceTokenizer.TokenizerJsonFile))
            ? HuggingFaceTokenizer.Load(modelFolder)
            : ModelTokenizer.Load(modelFolder);
    }
}
