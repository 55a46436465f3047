namespace DuesPilot.Domain.Matching;

/// <summary>An open invoice as the matcher sees it during a run: its balance falls as payments apply.</summary>
public sealed record OpenItem(InvoiceId InvoiceId, MemberId MemberId, DateOnly DueDate, Money Balance);

/// <summary>How a plan covers the payment.</summary>
public enum PlanKind
{
    /// <summary>The payment equals the open balance(s) exactly.</summary>
    Exact,

    /// <summary>Overpaid within tolerance: balances paid, the remainder becomes credit on account.</summary>
    Overpaid,

    /// <summary>Underpaid within tolerance: the payment is applied and a small balance stays open.</summary>
    Underpaid,
}

/// <summary>One way to allocate a payment: which invoices, how much each, plus any credit on account.</summary>
/// <param name="Variance">Payment − covered balances (positive: overpaid).</param>
/// <param name="Alternatives">How many other invoice sets would fit the same amount (0 = unambiguous).</param>
public sealed record AllocationPlan(PlanKind Kind, IReadOnlyList<(MemberId Member, InvoiceId? Invoice, Money Amount)> Lines, Money Variance, int Alternatives, IReadOnlyList<OpenItem> Items)
{
    public bool IsAmbiguous => Alternatives > 0;

    public string Describe()
    {
        var invoices = string.Join(", ", Items.Select(i => "INV " + i.InvoiceId.Value));
        return Kind switch
        {
            PlanKind.Exact when Items.Count == 1 => $"amount equals open balance of {invoices}",
            PlanKind.Exact => $"amount equals the sum of {invoices}",
            PlanKind.Overpaid => $"overpaid {invoices} by {Variance.ToPlainString()} (within tolerance, credit on account)",
            PlanKind.Underpaid => $"short {(-Variance).ToPlainString()} on {invoices} (within tolerance, balance stays open)",
            _ => invoices,
        };
    }
}

/// <summary>
/// Turns a payment amount and a set of open invoices into allocation plans. Exact before tolerant,
/// whole sets before subsets; a subset search is bounded so a member with hundreds of open items
/// cannot stall the run (DESIGN §6: timeouts with many open invoices).
/// </summary>
public static class AllocationPlanner
{
    /// <summary>Largest number of open items searched for an exact subset.</summary>
    public const int MaxSubsetItems = 20;

    /// <summary>Plans over the given items, best first. Empty when nothing fits exactly or within tolerance.</summary>
    /// <param name="tolerancePercent">Variance allowed, as percent of the covered balance (2 = 2%).</param>
    /// <param name="mustCover">Members every plan must pay something to (the people a group payment names); null for none.</param>
    public static IReadOnlyList<AllocationPlan> Plan(Money amount, IReadOnlyList<OpenItem> items, decimal tolerancePercent, IReadOnlySet<MemberId>? mustCover = null)
    {
        // One open item, nobody required (the commonest case, millions of times in a large run): what the general
        // search below concludes, without its lists.
        if (items.Count == 1 && mustCover is null)
        {
            var only = items[0];
            if (!only.Balance.IsPositive || !amount.IsPositive) return [];
            if (only.Balance.MinorUnits == amount.MinorUnits) return [Build(PlanKind.Exact, [only], amount, 0)];
            if (!Within(amount, only.Balance, tolerancePercent)) return [];
            return [Build(amount > only.Balance ? PlanKind.Overpaid : PlanKind.Underpaid, [only], amount, 0)];
        }

        return Search(amount, items, tolerancePercent, mustCover);
    }

    private static IReadOnlyList<AllocationPlan> Search(Money amount, IReadOnlyList<OpenItem> items, decimal tolerancePercent, IReadOnlySet<MemberId>? mustCover)
    {
        bool Covers(IReadOnlyList<OpenItem> set) => mustCover is null || mustCover.All(m => set.Any(i => i.MemberId == m));
        var open = items.Where(i => i.Balance.IsPositive).OrderBy(i => i.DueDate).ThenBy(i => i.InvoiceId.Value, StringComparer.Ordinal).ToList();
        if (open.Count == 0 || !amount.IsPositive) return [];

        // 1. Exact: a subset whose balances sum to the amount (the whole set and single items included).
        // The group's members are required while searching: eight sets that leave one of them out must not hide the one that pays them all.
        var exact = ExactSubsets(open, amount, maxSolutions: 8, Covers);
        if (exact.Count > 0)
        {
            // Prefer the whole set, then the fewest invoices, then the oldest (first-in, first-out).
            var best = exact.OrderByDescending(s => s.Count == open.Count).ThenBy(s => s.Count).First();
            // Another set of the same size is a real alternative unless it is the same member paying
            // invoices of the same amounts, where paying the oldest first is the ordinary clerk's rule.
            var others = best.Count == open.Count ? 0 : exact.Count(s => !ReferenceEquals(s, best) && s.Count == best.Count && !SameShape(s, best));
            return [Build(PlanKind.Exact, best, amount, others)];
        }

        // 2. Within tolerance of one item or of the whole set.
        var plans = new List<AllocationPlan>();
        var total = Money.Sum(open.Select(i => i.Balance), amount.Currency);
        var tolerant = new List<IReadOnlyList<OpenItem>>();
        foreach (var item in open)
            if (Within(amount, item.Balance, tolerancePercent)) tolerant.Add([item]);
        if (open.Count > 1 && Within(amount, total, tolerancePercent)) tolerant.Add(open);
        if (tolerant.Count == 0) return [];
        tolerant = tolerant.Where(Covers).ToList();
        if (tolerant.Count == 0) return [];
        var chosen = tolerant.OrderByDescending(s => s.Count == open.Count).ThenBy(s => Distance(amount, s)).First();
        // Two different single invoices both within tolerance: the amount does not say which.
        var alternatives = tolerant.Count(s => s.Count == 1) > 1 && chosen.Count == 1 ? tolerant.Count - 1 : 0;
        var covered = Money.Sum(chosen.Select(i => i.Balance), amount.Currency);
        plans.Add(Build(amount > covered ? PlanKind.Overpaid : PlanKind.Underpaid, chosen, amount, alternatives));
        return plans;
    }

    /// <summary>True when <paramref name="amount"/> differs from <paramref name="balance"/> by at most the tolerance (percent of the balance).</summary>
    public static bool Within(Money amount, Money balance, decimal tolerancePercent)
    {
        if (!balance.IsPositive) return false;
        var diff = Math.Abs(amount.MinorUnits - balance.MinorUnits);
        return diff * 100m <= balance.MinorUnits * tolerancePercent;
    }

    /// <summary>Same members paying the same amounts each: the sets differ only in which of a member's equal invoices is paid.</summary>
    private static bool SameShape(IReadOnlyList<OpenItem> a, IReadOnlyList<OpenItem> b)
    {
        static string Shape(IReadOnlyList<OpenItem> set) => string.Join(';', set.OrderBy(i => i.MemberId.Value, StringComparer.Ordinal).ThenBy(i => i.Balance.MinorUnits).Select(i => $"{i.MemberId.Value}:{i.Balance.MinorUnits}"));
        return Shape(a) == Shape(b);
    }

    private static long Distance(Money amount, IReadOnlyList<OpenItem> set) => Math.Abs(amount.MinorUnits - set.Sum(i => i.Balance.MinorUnits));

    private static AllocationPlan Build(PlanKind kind, IReadOnlyList<OpenItem> set, Money amount, int alternatives)
    {
        var currency = amount.Currency;
        var covered = Money.Sum(set.Select(i => i.Balance), currency);
        var lines = new List<(MemberId, InvoiceId?, Money)>();
        if (kind == PlanKind.Underpaid)
        {
            // Oldest invoices are paid in full first; the shortfall stays on the newest.
            var left = amount;
            foreach (var item in set)
            {
                var take = Money.Min(left, item.Balance);
                if (take.IsPositive) lines.Add((item.MemberId, item.InvoiceId, take));
                left -= take;
            }
        }
        else
        {
            foreach (var item in set) lines.Add((item.MemberId, item.InvoiceId, item.Balance));
            if (amount > covered) lines.Add((set[0].MemberId, null, amount - covered));
        }

        return new AllocationPlan(kind, lines, amount - covered, alternatives, set);
    }

    /// <summary>Subsets of <paramref name="items"/> summing exactly to <paramref name="amount"/>, at most <paramref name="maxSolutions"/>.</summary>
    /// <param name="accept">Only sets it accepts are solutions (null: every set).</param>
    public static List<IReadOnlyList<OpenItem>> ExactSubsets(IReadOnlyList<OpenItem> items, Money amount, int maxSolutions, Func<IReadOnlyList<OpenItem>, bool>? accept = null)
    {
        var solutions = new List<IReadOnlyList<OpenItem>>();
        var pool = items.Count > MaxSubsetItems ? [.. items.Take(MaxSubsetItems)] : items.ToList();
        // Whole set first (cheap, and the most common "paid everything" case even beyond the search bound).
        var all = items.Sum(i => i.Balance.MinorUnits);
        if (all == amount.MinorUnits && (accept is null || accept(items))) solutions.Add(items);
        var target = amount.MinorUnits;
        var suffix = new long[pool.Count + 1];
        for (var i = pool.Count - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + pool[i].Balance.MinorUnits;
        var stack = new List<OpenItem>();
        var budget = 200_000;
        Search(0, 0);
        return solutions;

        void Search(int index, long sum)
        {
            if (solutions.Count >= maxSolutions || --budget < 0) return;
            if (sum == target && stack.Count > 0)
            {
                if (!(stack.Count == items.Count && all == target) && (accept is null || accept(stack))) solutions.Add([.. stack]);
                return;
            }

            if (index == pool.Count || sum > target || sum + suffix[index] < target) return;
            stack.Add(pool[index]);
            Search(index + 1, sum + pool[index].Balance.MinorUnits);
            stack.RemoveAt(stack.Count - 1);
            Search(index + 1, sum);
        }
    }
}
