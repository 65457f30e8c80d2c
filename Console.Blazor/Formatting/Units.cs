using System.Globalization;

namespace AdminConsole.Formatting;

/// <summary>Numbers as the pages show them: bytes in binary units, rates, durations.</summary>
public static class Units
{
    private static readonly string[] ByteUnits = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < ByteUnits.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {ByteUnits[unit]}");
    }

    public static string Rate(double bytesPerSecond) => string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / 1e6:0.0} MB/s");

    /// <summary>A short span to the millisecond ("0.447 s"), for a load's stages.</summary>
    public static string Seconds(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.000} s");

    public static string Duration(TimeSpan? duration) => duration switch
    {
        null => "—",
        { TotalHours: >= 1 } d => d.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture),
        { TotalSeconds: >= 10 } d => d.ToString(@"m\:ss", CultureInfo.InvariantCulture),
        { } d => string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.0} s"),
    };
}
