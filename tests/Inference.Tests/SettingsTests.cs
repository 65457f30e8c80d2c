using System.Diagnostics;
using Inference.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Models.TinyModel;
using Tensorizer.Configuration;

namespace Inference.Tests;

/// <summary>
/// The service's settings are bound and validated as it starts: a wrong one stops it at once, naming the setting,
/// before anything loads; with no model setting, only Development serves the embedded tiny GPT-J.
/// </summary>
public sealed class SettingsTests
{
    [Theory]
    [InlineData(SettingNames.Dtype, "flaot16")]
    [InlineData(SettingNames.MaxBatchSize, "-1")]
    [InlineData(SettingNames.MaxBatchSize, "many")]
    [InlineData(SettingNames.QueueCapacity, "0")]
    [InlineData(SettingNames.LoadReaders, "0")]
    [InlineData(SettingNames.Device, "gpu")]
    [InlineData(SettingNames.VerifyHashes, "sometimes")]
    public async Task A_wrong_setting_stops_the_start_naming_it(string setting, string value)
    {
        await using var app = Build("Production", new() { [SettingNames.ModelPath] = TinyGptj.Location, [setting] = value });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_model_setting_production_refuses_to_start_naming_both_settings()
    {
        await using var app = Build("Production", []);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(SettingNames.ModelPath, error.Message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.StorageUri, error.Message, StringComparison.Ordinal);
        Assert.Contains(TinyGptj.Location, error.Message, StringComparison.Ordinal); // how to ask for the embedded model
    }

    [Fact]
    public async Task Without_a_model_setting_development_serves_the_embedded_model()
    {
        await using var app = Build("Development", []);
        Assert.Equal(TinyGptj.Location, Options(app).ModelLocation);
        Assert.True(Options(app).IsBuiltinModel);
    }

    [Fact]
    public async Task STORAGE_URI_alone_means_kserves_mount_and_MODEL_PATH_wins_over_it()
    {
        await using (var kserve = Build("Production", new() { [SettingNames.StorageUri] = "s3://bucket/gptj" }))
        {
            Assert.Equal(SettingNames.KServeModelMount, Options(kserve).ModelLocation);
        }

        await using var both = Build("Production", new() { [SettingNames.StorageUri] = "s3://bucket/gptj", [SettingNames.ModelPath] = "/models/gptj" });
        Assert.Equal("/models/gptj", Options(both).ModelLocation);
    }

    [Fact]
    public async Task Every_setting_binds_from_its_name()
    {
        await using var app = Build("Production", new()
        {
            [SettingNames.ModelName] = "tiny",
            [SettingNames.ModelPath] = "/models/tiny",
            [SettingNames.ModelTensors] = "s3://bucket/tiny/model.tensors",
            [SettingNames.Device] = "cuda:1",
            [SettingNames.Dtype] = "BF16",
            [SettingNames.LoadReaders] = "3",
            [SettingNames.VerifyHashes] = "true",
            [SettingNames.ExitOnLoadFailure] = "false",
            [SettingNames.RequireCompleteModel] = "true",
            [SettingNames.MaxBatchSize] = "5",
            [SettingNames.QueueCapacity] = "7",
        });
        var options = Options(app);
        Assert.Equal(
            ("tiny", "/models/tiny", "s3://bucket/tiny/model.tensors", "cuda:1", Tensorizer.Format.TensorElementType.BFloat16, 3, true, false, true, 5, 7),
            (options.ModelName, options.ModelPath, options.TensorsLocation, options.Device, options.ComputeDtype, options.LoadReaders, options.VerifyHashes,
                options.ExitOnLoadFailure, options.RequireCompleteModel, options.MaxBatchSize, options.QueueCapacity));
    }

    [Fact]
    public async Task The_process_without_a_model_setting_in_production_exits_non_zero_saying_what_to_set()
    {
        // The real program, as a pod missing its storage URI would start it.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(typeof(Startup).Assembly.Location);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var name in new[] { SettingNames.ModelPath, SettingNames.StorageUri, "DOTNET_ENVIRONMENT" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The service did not exit; it wrote: {await output}{await errors}");
        }

        Assert.NotEqual(0, process.ExitCode);
        var message = await errors;
        Assert.Contains(SettingNames.ModelPath, message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.StorageUri, message, StringComparison.Ordinal);
    }

    private static WebApplication Build(string environment, Dictionary<string, string?> settings) => Startup.Build(
        ["--urls", "http://127.0.0.1:0", "--environment", environment], builder => builder.Configuration.AddInMemoryCollection(settings));

    private static InferenceOptions Options(WebApplication app) => app.Services.GetRequiredService<IOptions<InferenceOptions>>().Value;
}
