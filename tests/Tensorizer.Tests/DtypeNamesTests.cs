using Tensorizer.Format;

namespace Tensorizer.Tests;

/// <summary>The one parser of dtype names the service, the converter, the AppHost and the console share.</summary>
public sealed class DtypeNamesTests
{
    [Theory]
    [InlineData("float16", TensorElementType.Float16)]
    [InlineData("FP16", TensorElementType.Float16)]
    [InlineData("half", TensorElementType.Float16)]
    [InlineData("bfloat16", TensorElementType.BFloat16)]
    [InlineData("BF16", TensorElementType.BFloat16)]
    [InlineData("float32", TensorElementType.Float32)]
    [InlineData("fp32", TensorElementType.Float32)]
    [InlineData("Float", TensorElementType.Float32)]
    public void Every_spelling_names_its_dtype_in_any_case(string text, TensorElementType expected)
    {
        Assert.Equal(expected, DtypeNames.Parse(text, "DTYPE"));
        Assert.True(DtypeNames.TryParseConversion(text, out var conversion));
        Assert.Equal(expected, conversion);
    }

    [Fact]
    public void Keep_is_a_conversion_only()
    {
        Assert.True(DtypeNames.TryParseConversion("keep", out var conversion));
        Assert.Null(conversion);
        Assert.False(DtypeNames.TryParse("keep", out _));
    }

    [Theory]
    [InlineData("flaot16")]
    [InlineData("float64")]
    [InlineData("int8")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_refused_naming_the_setting_and_the_choices(string? text)
    {
        var service = Assert.Throws<ArgumentException>(() => DtypeNames.Parse(text, "DTYPE"));
        Assert.Equal($"DTYPE '{text}' is not float16, bfloat16 or float32.", service.Message);
        var converter = Assert.Throws<ArgumentException>(() => DtypeNames.ParseConversion(text, "--dtype"));
        Assert.Equal($"--dtype '{text}' is not float16, bfloat16, float32 or keep.", converter.Message);
    }

    [Fact]
    public void Canonical_names_round_trip()
    {
        Assert.All(DtypeNames.Floating, name => Assert.Equal(name, DtypeNames.NameOf(DtypeNames.Parse(name, "DTYPE"))));
        Assert.Equal([.. DtypeNames.Floating, DtypeNames.Keep], DtypeNames.ConversionChoices);
    }
}
