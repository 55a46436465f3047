using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Persistence;

namespace DuesPilot.Ai;

/// <summary>A payment the deterministic matcher could not settle, as the memo interpreter sees it.</summary>
public sealed record MemoInterpretationRequest(PaymentId PaymentId, string? PayerName, string? Memo, Money Amount, PaymentChannel Channel);

/// <summary>
/// Who and which invoices a memo points at, every id checked against the store. Evidence for the
/// matcher's scoring only: it carries no amount and the matcher decides (and may ignore it).
/// </summary>
/// <param name="Source"><c>rules</c> (no model, or the model's answer was unusable) or <c>model+rules</c>.</param>
/// <param name="Dropped">What the model proposed that is not in the store (unknown ids, unmatched names); kept for the audit and eval.</param>
public sealed record MemoEvidence(IReadOnlyList<MemberId> MemberIds, IReadOnlyList<InvoiceId> InvoiceIds, string Source, string Confidence, IReadOnlyList<string> Dropped, ModelCallOutcome ModelOutcome)
{
    public bool IsEmpty => MemberIds.Count == 0 && InvoiceIds.Count == 0;
}

/// <summary>What the matching engine calls for a payment it cannot settle.</summary>
public interface IMemoInterpreter
{
    Task<MemoEvidence> InterpretAsync(MemoInterpretationRequest request, CancellationToken ct = default);
}

/// <summary>
/// Reads a memo with rules (ids and member names written in it that exist in the store) and, when a
/// model is configured, with the <c>memo-interpretation</c> prompt. The model sees the masked memo and
/// payer name only, never the member roster; its proposal is resolved against the store and anything
/// unknown is dropped. Nothing here writes to the ledger or allocations.
/// </summary>
public sealed partial class InterpretMemo(Store store, GovernedModel model) : IMemoInterpreter
{
    public async Task<MemoEvidence> InterpretAsync(MemoInterpretationRequest request, CancellationToken ct = default)
    {
        var text = $"{request.PayerName} {request.Memo}";
        var words = Candidates().Matches(text).Select(m => m.Value.Trim('.', ',', ':', '#')).Where(w => w.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        // Bank files shout payer names ("HADDAD OMAR"): title-case them so the name rule can read them.
        var payer = CultureInfo.InvariantCulture.TextInfo.ToTitleCase((request.PayerName ?? "").ToLowerInvariant());
        var names = NameCandidates(request.Memo ?? "").Concat(NameCandidates(payer)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var (members, invoices, _) = await ResolveAsync(words, words, names, ct);

        var known = await store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<string>($"SELECT member_id FROM members WHERE {Sql.In(c, "member_id", "words")}", new { words = words.ToArray() }, tx)).ToList(), ct);
        var mask = new MaskingSession(new MaskingRules(model.Options.MaskMemberIds, known));
        var answer = await model.AskAsync(
            new ModelRequest("memo-interpretation", new Dictionary<string, string>
            {
                ["payer_name"] = request.PayerName ?? "", ["memo"] = request.Memo ?? "", ["amount"] = request.Amount.ToPlainString(), ["channel"] = Payment.ChannelCode(request.Channel),
            }, $"payment:{request.PaymentId}"),
            mask, ct: ct);
        if (!answer.IsUsable)
            return new MemoEvidence(members, invoices, "rules", members.Count + invoices.Count > 0 ? "medium" : "low", [], answer.Outcome);

        var o = answer.Output!.Value;
        List<string> Read(string name) => o.GetProperty(name).EnumerateArray().Select(e => mask.Restore(e.GetString()).Trim()).Where(x => x.Length > 0).ToList();
        var (mMembers, mInvoices, dropped) = await ResolveAsync(Read("member_ids"), Read("invoice_ids"), Read("names"), ct);
        var allMembers = members.Concat(mMembers).Distinct().ToList();
        var allInvoices = invoices.Concat(mInvoices).Distinct().ToList();
        return new MemoEvidence(allMembers, allInvoices, "model+rules", o.GetProperty("confidence").GetString() ?? "low", dropped, answer.Outcome);
    }

    /// <summary>Keeps only ids that exist and names that identify exactly one member; reports the rest.</summary>
    private Task<(List<MemberId>, List<InvoiceId>, List<string>)> ResolveAsync(IReadOnlyList<string> memberIds, IReadOnlyList<string> invoiceIds, IReadOnlyList<string> names, CancellationToken ct) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var dropped = new List<string>();
            var members = (await c.QueryAsync<string>($"SELECT member_id FROM members WHERE {Sql.In(c, "member_id", "memberIds")}", new { memberIds = memberIds.ToArray() }, tx)).ToList();
            var invoiceRows = (await c.QueryAsync<(string Id, string Member)>($"SELECT invoice_id, member_id FROM invoices WHERE {Sql.In(c, "UPPER(invoice_id)", "ids")}", new { ids = invoiceIds.Select(i => i.ToUpperInvariant()).ToArray() }, tx)).ToList();
            foreach (var name in names)
            {
                var forms = NameForms(name);
                // A lone surname ("Whitfield renewal") counts only when exactly one member carries it.
                var hits = name.Trim().Contains(' ', StringComparison.Ordinal)
                    ? (await c.QueryAsync<string>($"SELECT member_id FROM members WHERE {Sql.In(c, "UPPER(full_name)", "forms")}", new { forms = forms.ToArray() }, tx)).ToList()
                    : (await c.QueryAsync<string>("SELECT member_id FROM members WHERE UPPER(last_name) = @n", new { n = name.Trim().ToUpperInvariant() }, tx)).ToList();
                if (hits.Count == 1) members.Add(hits[0]);
                else if (hits.Count > 1) dropped.Add($"name '{name}' matches {hits.Count} members");
            }

            dropped.AddRange(memberIds.Where(i => !members.Contains(i, StringComparer.Ordinal) && !invoiceRows.Any(r => string.Equals(r.Id, i, StringComparison.OrdinalIgnoreCase)) && LooksLikeId(i)).Select(i => $"member id '{i}' unknown"));
            dropped.AddRange(invoiceIds.Where(i => !invoiceRows.Any(r => string.Equals(r.Id, i, StringComparison.OrdinalIgnoreCase)) && !members.Contains(i, StringComparer.Ordinal) && LooksLikeId(i)).Select(i => $"invoice id '{i}' unknown"));
            var invoices = invoiceRows.Select(r => new InvoiceId(r.Id)).Distinct().ToList();
            return (members.Distinct(StringComparer.Ordinal).Select(m => new MemberId(m)).ToList(), invoices, dropped.Distinct(StringComparer.Ordinal).ToList());
        }, ct);

    private static bool LooksLikeId(string s) => s.Any(char.IsAsciiDigit);

    /// <summary>"Jane Q. Smith", "Smith, Jane" and "JANE SMITH" all become the upper-case "JANE SMITH" forms the cache stores.</summary>
    private static List<string> NameForms(string name)
    {
        var n = Spaces().Replace(name.Trim(), " ").ToUpperInvariant();
        var forms = new List<string> { n };
        if (n.Contains(',', StringComparison.Ordinal))
        {
            var parts = n.Split(',', 2, StringSplitOptions.TrimEntries);
            forms.Add($"{parts[1]} {parts[0]}");
        }

        var words = n.Split(' ');
        if (words.Length == 3 && words[1].TrimEnd('.').Length == 1) forms.Add($"{words[0]} {words[2]}");
        if (words.Length == 2) forms.Add($"{words[1]} {words[0]}");
        return forms;
    }

    /// <summary>Runs of two or three capitalised words ("for Maria Lopez and Tom Reed"), the rules' guess at names.</summary>
    private static IEnumerable<string> NameCandidates(string text)
    {
        foreach (Match run in CapitalisedRun().Matches(text))
        {
            var words = run.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var size = 2; size <= 3; size++)
                for (var i = 0; i + size <= words.Length; i++)
                    yield return string.Join(' ', words.Skip(i).Take(size));
        }
    }

    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9:_/-]*\d[A-Za-z0-9:_/-]*", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Candidates();

    [GeneratedRegex(@"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:\s+(?:[A-Z]\.?|[A-Z][a-z]+(?:-[A-Z][a-z]+)?))+\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CapitalisedRun();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Spaces();
}
