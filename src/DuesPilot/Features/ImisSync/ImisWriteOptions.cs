using System.ComponentModel.DataAnnotations;
using DuesPilot.Imis;

namespace DuesPilot.Features.ImisSync;

/// <summary>
/// How the <c>imis-writes</c> job drains the outbox; bound from configuration section <c>Imis:Writes</c> and
/// validated at start against the iMIS client's own limits.
/// </summary>
public sealed class ImisWriteOptions
{
    public const string SectionName = "Imis:Writes";

    /// <summary>Rows taken per round (payment applications first, then creation order). iMIS pages at most 100 rows, a batch is only our unit of work.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>Writes in flight at once; at most <see cref="ImisOptions.MaxConcurrency"/>, the client's cap on requests to iMIS. Rows of one member are always sent one after another.</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 4;

    /// <summary>A run sends round after round until nothing is due or this much time has passed (below the one-minute schedule, so runs do not pile up).</summary>
    [Range(1, 3600)]
    public int MaxSecondsPerRun { get; set; } = 50;

    /// <summary>Wait before a failed write is tried again: this, doubled per attempt, at most an hour (12 attempts, then it stops as failed for staff).</summary>
    [Range(1, 3600)]
    public int RetryBaseSeconds { get; set; } = 15;

    public void Validate(ImisOptions imis)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
            throw new InvalidOperationException("Imis:Writes options: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
        if (Concurrency > imis.MaxConcurrency)
            throw new InvalidOperationException($"Imis:Writes:Concurrency ({Concurrency}) is more than Imis:MaxConcurrency ({imis.MaxConcurrency}), the most requests the client sends to iMIS at once.");
    }
}
