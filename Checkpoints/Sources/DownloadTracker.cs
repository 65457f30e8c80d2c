using Checkpoints.Conversion;

namespace Checkpoints.Sources;

/// <summary>Download progress across parallel files: bytes on disk (resumed ones included) and files finished.</summary>
internal sealed class DownloadTracker(IReadOnlyList<CheckpointFile> files, IProgress<ConversionProgress>? progress)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly long _total = files.Sum(f => Math.Max(0, f.Size));
    private long _done;
    private int _finished;

    /// <summary>The file's download (re)starts with <paramref name="offset"/> bytes already on disk.</summary>
    public void Resumed(CheckpointFile file, long offset) => Update(file, _ => offset, finished: false);

    public void Advanced(CheckpointFile file, int bytes) => Update(file, old => old + bytes, finished: false);

    public void Completed(CheckpointFile file) => Update(file, _ => Math.Max(0, file.Size), finished: true);

    private void Update(CheckpointFile file, Func<long, long> next, bool finished)
    {
        ConversionProgress value;
        lock (_gate)
        {
            var old = _bytes.GetValueOrDefault(file.Path);
            var bytes = next(old);
            _done += bytes - old;
            _bytes[file.Path] = bytes;
            _finished += finished ? 1 : 0;
            value = new ConversionProgress(ConversionPhase.Downloading, _done, _total, _finished, files.Count, file.Path);
        }

        progress?.Report(value);
    }
}
