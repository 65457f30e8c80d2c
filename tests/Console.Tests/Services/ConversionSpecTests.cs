using AdminConsole.Services.Conversions;
using AdminConsole.Services.Store;

namespace AdminConsole.Tests.Services;

public sealed class ConversionSpecTests
{
    [Theory]
    [InlineData(SourceKind.HuggingFace, "EleutherAI/gpt-j-6b", "float16", "hf://EleutherAI/gpt-j-6b@float16")]
    [InlineData(SourceKind.HuggingFace, "gpt2", "", "hf://gpt2")]
    [InlineData(SourceKind.ModelScope, "AI-ModelScope/gpt-j-6b", "master", "modelscope://AI-ModelScope/gpt-j-6b@master")]
    [InlineData(SourceKind.S3, "s3://bucket/checkpoints/gptj/", "", "s3://bucket/checkpoints/gptj/")]
    [InlineData(SourceKind.Folder, "/data/gptj", "", "/data/gptj")]
    [InlineData(SourceKind.Builtin, "", "", "builtin://tiny-gptj")]
    public void Each_kind_names_its_source_as_the_downloader_takes_it(SourceKind kind, string repository, string revision, string expected)
    {
        var spec = new ConversionSpec(kind, repository, revision, "float16", "model");

        Assert.Equal(expected, spec.SourceUri);
        Assert.Empty(spec.Problems());
    }

    [Theory]
    [InlineData(SourceKind.HuggingFace, "not a repo", "float16", "model", "repository must be an id")]
    [InlineData(SourceKind.S3, "bucket/prefix", "float16", "model", "s3://bucket/prefix/")]
    [InlineData(SourceKind.Folder, "hf://x/y", "float16", "model", "path on the console's machine")]
    [InlineData(SourceKind.Builtin, "", "float64", "model", "dtype must be one of")]
    [InlineData(SourceKind.Builtin, "", "float16", "../escape", "Destination")]
    [InlineData(SourceKind.Builtin, "", "float16", "", "Destination")]
    public void Problems_are_named(SourceKind kind, string repository, string dtype, string destination, string expected)
    {
        var problems = new ConversionSpec(kind, repository, null, dtype, destination).Problems();

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("a\\b")]
    public void Store_names_never_leave_the_store(string name) =>
        Assert.Throws<ArgumentException>(() => new FolderModelStore("/store").OutputFor(name));
}
