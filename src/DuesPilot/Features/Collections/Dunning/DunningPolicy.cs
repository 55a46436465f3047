using System.Text.Json;
using System.Text.Json.Serialization;
using DuesPilot.Domain;
using DuesPilot.Features.Collections.Risk;

namespace DuesPilot.Features.Collections.Dunning;

public enum DunningChannel
{
    Email,
    Sms,
}

/// <summary>One step of the dunning ladder: from <see cref="DaysOverdue"/> on, for the risk segments listed, send this message.</summary>
public sealed record DunningStage
{
    public required string Name { get; init; }
    public required int DaysOverdue { get; init; }
    public IReadOnlyList<RiskSegment> Segments { get; init; } = [RiskSegment.Low, RiskSegment.Medium, RiskSegment.High];
    public DunningChannel Channel { get; init; } = DunningChannel.Email;

    /// <summary>Liquid template of the subject (e-mail only).</summary>
    public string Subject { get; init; } = "";

    /// <summary>Liquid template of the body, with the member's facts (see docs/collections.md for the variables).</summary>
    public required string Template { get; init; }
}

/// <summary>Hours when no message is sent, in the association's time zone; a window may wrap midnight (20:00–08:00).</summary>
public sealed record QuietHours(TimeOnly Start, TimeOnly End)
{
    public bool Contains(TimeOnly time) => Start <= End ? time >= Start && time < End : time >= Start || time < End;
}

/// <summary>When an account goes to a person instead of an automated message.</summary>
/// <param name="AmountAtLeast">Open balance (major units, e.g. "1000.00") from which an account is escalated.</param>
/// <param name="HighRiskAfterDays">A high-risk account is escalated once it is this many days overdue.</param>
public sealed record EscalationRule(string AmountAtLeast = "1000.00", bool EscalateHighRisk = true, int HighRiskAfterDays = 15);

/// <summary>
/// The association's dunning policy, as data (JSON): stages by days overdue and risk segment, channels,
/// cadence, quiet hours, templates and escalation. Loaded and validated at start; its <see cref="Version"/> is
/// recorded with every message sent.
/// </summary>
public sealed record DunningPolicy
{
    public required string Version { get; init; }
    public string AssociationName { get; init; } = "Your association";
    /// <summary>The zone quiet hours and days overdue are read in; absent, the association's (<c>Association:TimeZone</c>).</summary>
    public string? TimeZone { get; init; }
    public QuietHours? QuietHours { get; init; }

    /// <summary>Cadence: at least this many days between two messages to the same member.</summary>
    public int MinimumDaysBetweenMessages { get; init; } = 5;

    public double HighRiskBelow { get; init; } = 0.15;
    public double MediumRiskBelow { get; init; } = 0.40;
    public EscalationRule Escalation { get; init; } = new();
    public required IReadOnlyList<DunningStage> Stages { get; init; }

    /// <summary>Where members pay or ask for a plan; templates can show it as <c>{{ association.pay_url }}</c>.</summary>
    public string PayUrl { get; init; } = "https://example.org/pay";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    public static DunningPolicy Parse(string json)
    {
        var policy = JsonSerializer.Deserialize<DunningPolicy>(json, Json) ?? throw new FormatException("The dunning policy is empty.");
        policy.Validate();
        return policy;
    }

    public static DunningPolicy Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>The policy's zone, or <paramref name="association"/> when the policy names none.</summary>
    public TimeZoneInfo ZoneOr(TimeZoneInfo association) => TimeZone is null ? association : BusinessClock.FindZone(TimeZone);

    public Money EscalationAmount(Currency currency) => Money.Parse(Escalation.AmountAtLeast, currency);

    public RiskSegment SegmentOf(RiskScore score) => RiskScore.SegmentOf(score.Probability, HighRiskBelow, MediumRiskBelow);

    /// <summary>Refuses a policy that cannot work, with a message naming the field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Version)) throw new FormatException("Dunning policy: version is required.");
        if (Stages.Count == 0) throw new FormatException("Dunning policy: at least one stage is required.");
        if (Stages.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != Stages.Count) throw new FormatException("Dunning policy: stage names must be unique.");
        foreach (var s in Stages)
        {
            if (s.DaysOverdue < 0) throw new FormatException($"Dunning policy: stage {s.Name} has negative daysOverdue.");
            if (s.Segments.Count == 0) throw new FormatException($"Dunning policy: stage {s.Name} applies to no risk segment.");
            if (s.Channel == DunningChannel.Email && string.IsNullOrWhiteSpace(s.Subject)) throw new FormatException($"Dunning policy: e-mail stage {s.Name} needs a subject.");
            MessageTemplates.Check(s.Template, $"stage {s.Name} template");
            if (s.Subject.Length > 0) MessageTemplates.Check(s.Subject, $"stage {s.Name} subject");
        }

        if (MinimumDaysBetweenMessages is < 0 or > 90) throw new FormatException("Dunning policy: minimumDaysBetweenMessages must be 0–90.");
        if (!(HighRiskBelow >= 0 && HighRiskBelow <= MediumRiskBelow && MediumRiskBelow <= 1)) throw new FormatException("Dunning policy: need 0 ≤ highRiskBelow ≤ mediumRiskBelow ≤ 1.");
        if (!Money.TryParse(Escalation.AmountAtLeast, Currency.USD, out _)) throw new FormatException("Dunning policy: escalation.amountAtLeast is not an amount.");
        try
        {
            _ = ZoneOr(TimeZoneInfo.Utc);
        }
        catch (TimeZoneNotFoundException)
        {
            throw new FormatException($"Dunning policy: unknown time zone '{TimeZone}'.");
        }
    }

    /// <summary>A sensible starting policy, written by <c>duespilot collections policy</c> for an association to edit.</summary>
    public static string DefaultJson => """
        {
          "version": "dunning/default-1",
          "associationName": "Example Professional Association",
          "timeZone": "America/New_York",
          "quietHours": { "start": "20:00", "end": "08:00" },
          "minimumDaysBetweenMessages": 5,
          "highRiskBelow": 0.15,
          "mediumRiskBelow": 0.40,
          "escalation": { "amountAtLeast": "1000.00", "escalateHighRisk": true, "highRiskAfterDays": 15 },
          "payUrl": "https://example.org/pay",
          "stages": [
            {
              "name": "reminder", "daysOverdue": 1, "channel": "Email",
              "subject": "A reminder about your {{ association.name }} dues",
              "template": "Dear {{ member.first_name }},\n\nOur records show {{ invoice.balance }} still open on invoice {{ invoice.id }}, due {{ invoice.due_date }}. If you have already paid, thank you and please ignore this note.\n\nPay online: {{ association.pay_url }}\n\n{{ association.name }} membership team"
            },
            {
              "name": "second-notice", "daysOverdue": 15, "channel": "Email",
              "subject": "Your {{ association.name }} dues are {{ days_overdue_text }} overdue",
              "template": "Dear {{ member.first_name }},\n\nInvoice {{ invoice.id }} for {{ invoice.balance }} is now {{ days_overdue_text }} overdue. If paying in one go is hard, we can split it into installments: just reply to this e-mail.\n\nPay online: {{ association.pay_url }}\n\n{{ association.name }} membership team"
            },
            {
              "name": "sms-nudge", "daysOverdue": 20, "channel": "Sms", "segments": ["Low", "Medium"],
              "template": "{{ association.name }}: {{ invoice.balance }} dues open since {{ invoice.due_date }}. Pay at {{ association.pay_url }}. Reply STOP to opt out."
            },
            {
              "name": "final-notice", "daysOverdue": 30, "channel": "Email", "segments": ["Low", "Medium"],
              "subject": "Final notice: your {{ association.name }} membership",
              "template": "Dear {{ member.first_name }},\n\nInvoice {{ invoice.id }} for {{ invoice.balance }} is {{ days_overdue_text }} overdue. Without payment or a payment plan your membership will lapse.\n\nPay online: {{ association.pay_url }}\n\n{{ association.name }} membership team"
            }
          ]
        }
        """;
}
