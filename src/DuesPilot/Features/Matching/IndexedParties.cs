using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>
/// The parties whose balances the evaluation running on this thread has read (null when not tracking):
/// <see cref="MatchingEngine.DecideAll"/> re-evaluates a payment when a payment committed before it changed any of them.
/// </summary>
internal static class BalanceReads
{
    [ThreadStatic]
    internal static List<Party>? Current;

    /// <summary>Notes that the evaluation on this thread read <paramref name="party"/>'s balances (a repeat of the last one is not noted again).</summary>
    internal static void Note(Party party)
    {
        var reads = Current;
        if (reads is not null && (reads.Count == 0 || reads[^1] != party)) reads.Add(party);
    }
}

/// <summary>A household, an employer's staff or a chapter's members; groups of more than 50 also as a set.</summary>
internal sealed class PartyGroup(List<Party> people)
{
    public List<Party> People { get; } = people;
    public HashSet<Party>? Set { get; } = people.Count > 50 ? [.. people] : null;
}

internal sealed class OpenInvoice(InvoiceId id, Party owner, DateOnly dueDate, Money balance)
{
    public InvoiceId Id { get; } = id;
    public Party Owner { get; } = owner;
    public DateOnly DueDate { get; } = dueDate;
    private Money balance = balance;

    public Money Balance
    {
        get
        {
            BalanceReads.Note(Owner);
            return balance;
        }

        set => balance = value;
    }
    public OpenItem AsItem() => new(Id, new MemberId(Owner.Id), DueDate, Balance);
}

internal sealed class Party
{
    public Party(Member m, NameLexicon lexicon)
    {
        Member = m;
        Id = m.Id.Value;
        if (m.Kind == PartyKind.Organization)
        {
            OrgCore = lexicon.OrganizationCore(m.FullName);
            IsChapter = m.ChapterId is { Length: > 0 } && NameText.Fold(m.FullName).Contains("chapter", StringComparison.Ordinal);
            FirstKey = "";
            return;
        }

        OrgCore = "";
        var full = lexicon.PersonTokens(m.FullName);
        var firstTokens = NameText.Tokens(m.FirstName);
        var lastTokens = NameText.Tokens(m.LastName);
        if (lastTokens.Count == 0 && full.Count > 0) lastTokens = [full[^1]];
        if (firstTokens.Count == 0 && full.Count > 1) firstTokens = [full[0]];
        FirstKey = firstTokens.Count > 0 ? firstTokens[0] : "";
        foreach (var t in lastTokens.Where(t => !lexicon.IsPersonalSuffix(t))) { SurnameKeys.Add(t); SurnameParts.Add(t); }
        // "Garcia-Lopez" is also written "Garcialopez"; "Van der Berg" as "Vanderberg".
        if (lastTokens.Count > 1) SurnameKeys.Add(string.Concat(lastTokens));
        foreach (var t in firstTokens.Skip(1).Concat(full.Where(t => t.Length > 1 && t != FirstKey && !SurnameKeys.Contains(t)))) OtherGivenKeys.Add(t);
    }

    public Member Member { get; }
    public string Id { get; }

    /// <summary>Who is paying, for counting namesakes: a household member by household and given name (a joint account is one payer), anyone else by id.</summary>
    public string PayerKey => payerKey ??= Member.HouseholdId is { Length: > 0 } h ? "H:" + h + ":" + FirstKey : "M:" + Id;

    private string? payerKey;
    public string FirstKey { get; }
    public HashSet<string> SurnameKeys { get; } = new(StringComparer.Ordinal);
    public HashSet<string> OtherGivenKeys { get; } = new(StringComparer.Ordinal);
    public List<string> SurnameParts { get; } = [];
    public string OrgCore { get; }
    public bool IsChapter { get; }
    public List<OpenInvoice> Invoices { get; } = [];

    public bool HasOpen(Currency currency)
    {
        foreach (var i in Invoices)
            if (i.Balance.IsPositive && i.Balance.Currency == currency) return true;
        return false;
    }

    public List<OpenItem> OpenItems(Currency currency)
    {
        var items = new List<OpenItem>(Invoices.Count);
        foreach (var i in Invoices)
            if (i.Balance.IsPositive && i.Balance.Currency == currency) items.Add(i.AsItem());
        return items;
    }
}
