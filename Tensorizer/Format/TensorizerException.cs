namespace Tensorizer.Format;

/// <summary>Base of every error the format library raises about a file's content.</summary>
public class TensorizerException : Exception
{
    public TensorizerException(string message) : base(message) { }

    public TensorizerException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The bytes are not a well-formed <c>.tensors</c> file: wrong magic, truncation, bad offsets, overflow.</summary>
public class TensorizerFormatException : TensorizerException
{
    public TensorizerFormatException(string message) : base(message) { }

    public TensorizerFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A well-formed file uses something this library refuses: encryption, a newer version, unknown flags or dtypes.</summary>
public class TensorizerUnsupportedException : TensorizerException
{
    public TensorizerUnsupportedException(string message) : base(message) { }

    public TensorizerUnsupportedException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A tensor's bytes do not match the hash stored in its header.</summary>
public class TensorHashMismatchException : TensorizerException
{
    public TensorHashMismatchException(string tensorName, string hashName, string expected, string actual)
        : base($"Tensor '{tensorName}' failed {hashName} verification: stored {expected}, computed {actual}.")
    {
        TensorName = tensorName;
        HashName = hashName;
    }

    public TensorHashMismatchException(string message) : base(message)
    {
        TensorName = HashName = "";
    }

    public TensorHashMismatchException(string message, Exception inner) : base(message, inner)
    {
        TensorName = HashName = "";
    }

    public TensorHashMismatchException() : this("Tensor hash mismatch.") { }

    public string TensorName { get; }

    public string HashName { get; }
}
