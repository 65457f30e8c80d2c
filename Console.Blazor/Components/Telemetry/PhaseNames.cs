using AdminConsole.Services.Inference;

namespace AdminConsole.Components.Telemetry;

/// <summary>Load phases and stages as the pages print them: the service's own words ("warming_up" reads as "warming up").</summary>
public static class PhaseNames
{
    public static string Of(LoadPhase phase) => phase switch
    {
        LoadPhase.WarmingUp => "warming up",
        _ => phase.ToString().ToLowerInvariant(),
    };

    public static string Of(LoadStage stage) => stage switch
    {
        LoadStage.WarmUp => "warm up",
        _ => stage.ToString().ToLowerInvariant(),
    };
}
