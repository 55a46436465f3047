using DuesPilot.Domain;

namespace DuesPilot.Hosting;

/// <summary>Configuration section <c>Association</c>: facts about the association every feature shares.</summary>
public sealed class AssociationOptions
{
    public const string SectionName = "Association";

    /// <summary>
    /// The association's time zone (IANA id, e.g. <c>America/New_York</c>): it decides business dates (what
    /// "today" is, the day a payment belongs to, month close, the daily summary) and the time the cron
    /// schedules of the jobs are read in. Default <c>UTC</c>.
    /// </summary>
    public string TimeZone { get; set; } = BusinessClock.DefaultZoneId;
}
