namespace Models.Tokenization;

/// <summary>
/// What a continuation's decoder must not repeat: the text a flush would have given at the end of the prompt (the
/// prompt's last characters still held back, as complete bytes of a byte-fallback run), which <c>Decode(prompt)</c>
/// holds. The continuation's own text starts with it whenever <c>Decode(prompt)</c> is a prefix of
/// <c>Decode(prompt + continuation)</c>; dropping it leaves exactly the difference. Where the continuation changes
/// it (an incomplete character the continuation completes) the difference is undefined: what differs is kept.
/// </summary>
internal struct ContinuationText(string settledAtPromptEnd)
{
    private string _skip = settledAtPromptEnd;

    /// <summary><paramref name="piece"/> less what is left of the prompt's held-back text.</summary>
    public string Take(string piece)
    {
        if (_skip.Length == 0)
        {
            return piece;
        }

        var common = 0;
        while (common < piece.Length && common < _skip.Length && piece[common] == _skip[common])
        {
            common++;
        }

        _skip = common == piece.Length && common < _skip.Length ? _skip[common..] : "";
        return piece[common..];
    }
}
