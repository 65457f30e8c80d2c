using AdminConsole.Configuration;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminConsole.Tests.Fakes;

/// <summary>A bUnit context with MudBlazor's services and loose JS interop (MudBlazor calls JS the test has no need to answer).</summary>
internal static class BunitSetup
{
    public static BunitContext Create(ConsoleOptions? options = null)
    {
        var context = new BunitContext();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddSingleton(options ?? new ConsoleOptions());
        return context;
    }
}
