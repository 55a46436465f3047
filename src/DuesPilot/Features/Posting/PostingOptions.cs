using System.ComponentModel.DataAnnotations;

namespace DuesPilot.Features.Posting;

/// <summary>When an auto-applied payment is written to iMIS.</summary>
public enum ImisWriteTiming
{
    /// <summary>After the hold window ends (default): an override inside the window never needs a reversal in iMIS.</summary>
    AfterWindow,
    /// <summary>At hold time, with the GL distribution to GL_AI_Hold; an override then needs a reversal in iMIS, which staff do there.</summary>
    AtHold,
}

/// <summary>The posting controls, bound from configuration section <c>Posting</c>; units are in the names.</summary>
public sealed class PostingOptions
{
    /// <summary>How long an auto-applied payment waits in GL_AI_Hold before final posting.</summary>
    [Range(0, 24 * 90)]
    public double HoldWindowHours { get; set; } = 24;

    /// <summary>Per-segment windows (key <c>channel:segment</c>, e.g. <c>card:REG</c>), overriding <see cref="HoldWindowHours"/>.</summary>
    public Dictionary<string, double> HoldWindowHoursBySegment { get; set; } = [];

    /// <summary>Entries or account adjustments above this amount (in major units) always need a person with the approver role.</summary>
    [Range(0, 100_000_000)]
    public decimal ApprovalThresholdAmount { get; set; } = 5000m;

    public ImisWriteTiming WriteToImis { get; set; } = ImisWriteTiming.AfterWindow;

    /// <summary>Holds posted per job run, so one run never takes unbounded time.</summary>
    [Range(1, 100_000)]
    public int ReleaseBatchSize { get; set; } = 500;

    public TimeSpan HoldWindowFor(string channel, string? segment)
    {
        if (segment is not null && HoldWindowHoursBySegment.TryGetValue($"{channel}:{segment}", out var hours)) return TimeSpan.FromHours(hours);
        if (HoldWindowHoursBySegment.TryGetValue($"{channel}:*", out var channelHours)) return TimeSpan.FromHours(channelHours);
        return TimeSpan.FromHours(HoldWindowHours);
    }
}
