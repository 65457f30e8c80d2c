namespace Tensorizer.Format;

/// <summary>What a tensor was in its source: a module parameter, a module buffer, or a state-dict entry.</summary>
public enum TensorKind : byte
{
    Parameter = 0,
    Buffer = 1,
    StateDict = 2,
}
