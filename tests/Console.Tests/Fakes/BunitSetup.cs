using AdminConsole.Configuration;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminConsole.Tests.Fakes;

/// <summary>A bUnit context with MudBlazor's services and loose JS interop (MudBlazor calls JS the test has no need to answer).</summary>
internal static class BunitSetup
{
    /// <summary>
    /// How long a <c>WaitForAssertion</c> may wait for the render it expects. It rechecks on every render and returns
    /// as soon as the assertion holds, so this is only a bound for a failing test, not a time anything takes: bUnit's
    /// default of 1 s is a figure a busy 2-core machine can miss.
    /// </summary>
    private static readonly TimeSpan RenderDeadline = TimeSpan.FromSeconds(30);

    public static BunitContext Create(ConsoleOptions? options = null)
    {
        BunitContext.DefaultWaitTimeout = RenderDeadline;
        var context = new BunitContext();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddSingleton(options ?? new ConsoleOptions());
        return context;
    }
}
