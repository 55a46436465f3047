using System.Diagnostics.CodeAnalysis;

namespace DuesPilot.Domain;

/// <summary>
/// Where a received payment's money is. A closed set: the only instances are the static fields, and
/// a stored code that is not one of them is a <see cref="FormatException"/> (a bug or a tampered row),
/// never a new state. A payment moves between states only through <see cref="PaymentLifecycle"/>.
/// </summary>
/// <remarks>
/// Three groups, by where the ledger keeps the money:
/// <list type="bullet">
/// <item><b>Unapplied</b> (<see cref="Received"/>, <see cref="InReview"/>, <see cref="Disputed"/>,
/// <see cref="PartiallyRefunded"/>): in Unapplied Cash; the only states from which money can be applied.</item>
/// <item><b>Applied</b> (<see cref="Held"/>, <see cref="Applied"/>, <see cref="Posted"/>, <see cref="OnAccount"/>):
/// in GL_AI_Hold, dues receivable or member credit, with standing allocations.</item>
/// <item><b>Gone</b> (<see cref="Refunded"/>, <see cref="Returned"/>, <see cref="Voided"/>): the money went back;
/// nothing can be applied, refunded or returned again.</item>
/// </list>
/// </remarks>
public sealed class PaymentState : IEquatable<PaymentState>
{
    private PaymentState(string code, PaymentStateGroup group)
    {
        Code = code;
        Group = group;
    }

    /// <summary>Received and booked (Dr cash, Cr unapplied cash); not yet decided.</summary>
    public static readonly PaymentState Received = new("received", PaymentStateGroup.Unapplied);
    /// <summary>In the staff review queue; the money waits in unapplied cash.</summary>
    public static readonly PaymentState InReview = new("in_review", PaymentStateGroup.Unapplied);
    /// <summary>Contested by the payer's bank before it was applied; staff decide.</summary>
    public static readonly PaymentState Disputed = new("disputed", PaymentStateGroup.Unapplied);
    /// <summary>Part of unapplied money went back; the rest waits in unapplied cash for staff.</summary>
    public static readonly PaymentState PartiallyRefunded = new("partially_refunded", PaymentStateGroup.Unapplied);
    /// <summary>Applied automatically into GL_AI_Hold until the hold window ends.</summary>
    public static readonly PaymentState Held = new("held", PaymentStateGroup.Applied);
    /// <summary>Applied by staff to invoices (final accounts now).</summary>
    public static readonly PaymentState Applied = new("applied", PaymentStateGroup.Applied);
    /// <summary>Posted from GL_AI_Hold to final accounts when the hold window ended.</summary>
    public static readonly PaymentState Posted = new("posted", PaymentStateGroup.Applied);
    /// <summary>Kept whole as credit on a member's account.</summary>
    public static readonly PaymentState OnAccount = new("on_account", PaymentStateGroup.Applied);
    /// <summary>Sent back to the payer in full.</summary>
    public static readonly PaymentState Refunded = new("refunded", PaymentStateGroup.Gone);
    /// <summary>Returned by the bank (ACH return).</summary>
    public static readonly PaymentState Returned = new("returned", PaymentStateGroup.Gone);
    /// <summary>Voided by the gateway before settlement.</summary>
    public static readonly PaymentState Voided = new("voided", PaymentStateGroup.Gone);

    /// <summary>Every state, in lifecycle order.</summary>
    public static IReadOnlyList<PaymentState> All { get; } =
        [Received, InReview, Disputed, PartiallyRefunded, Held, Applied, Posted, OnAccount, Refunded, Returned, Voided];

    /// <summary>The stored spelling (snake case, as in the <c>payments.state</c> column).</summary>
    public string Code { get; }

    public PaymentStateGroup Group { get; }

    /// <summary>True when the payment's money sits in unapplied cash.</summary>
    public bool IsUnapplied => Group == PaymentStateGroup.Unapplied;

    /// <summary>True when the money went back to the payer; nothing more can happen to it.</summary>
    public bool IsGone => Group == PaymentStateGroup.Gone;

    public static PaymentState Parse(string code) =>
        TryParse(code, out var state) ? state : throw new FormatException($"'{code}' is not a payment state (expected one of {string.Join(", ", All.Select(s => s.Code))}).");

    public static bool TryParse(string? code, [NotNullWhen(true)] out PaymentState? state)
    {
        state = All.FirstOrDefault(s => string.Equals(s.Code, code, StringComparison.Ordinal));
        return state is not null;
    }

    public bool Equals(PaymentState? other) => ReferenceEquals(this, other);

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Code);

    public override string ToString() => Code;

    public static bool operator ==(PaymentState? left, PaymentState? right) => ReferenceEquals(left, right);

    public static bool operator !=(PaymentState? left, PaymentState? right) => !ReferenceEquals(left, right);
}

/// <summary>Where the ledger keeps a payment's money; see <see cref="PaymentState"/>.</summary>
public enum PaymentStateGroup
{
    Unapplied,
    Applied,
    Gone,
}

/// <summary>Something that happens to a received payment: a decision (ours or staff's) or a fact from the gateway or bank.</summary>
public enum PaymentEvent
{
    /// <summary>The matcher could not decide: to the review queue.</summary>
    SendToReview,
    /// <summary>An automatic decision: applied into GL_AI_Hold for the hold window.</summary>
    Hold,
    /// <summary>A staff decision applying the money to invoices now.</summary>
    Apply,
    /// <summary>The hold window ended: posted to final accounts.</summary>
    Post,
    /// <summary>Staff overrode an automatic decision inside the hold window: the hold is voided, back to review.</summary>
    Override,
    /// <summary>The whole payment is kept as credit on a member's account (staff, or a hold of credit only whose window ended).</summary>
    PutOnAccount,
    /// <summary>The gateway voided the payment.</summary>
    Void,
    /// <summary>The whole payment was refunded (by staff or at the gateway).</summary>
    Refund,
    /// <summary>Part of the payment was refunded at the gateway.</summary>
    PartialRefund,
    /// <summary>The bank returned the payment (ACH return).</summary>
    Return,
    /// <summary>The payer's bank disputed the payment (chargeback).</summary>
    Dispute,
    /// <summary>Staff take back a standing application (applied, posted or on account): the money returns to unapplied cash and the payment to review.</summary>
    ReverseApplication,
}

/// <summary>The result of asking the lifecycle for a transition.</summary>
public enum TransitionKind
{
    /// <summary>The payment moves to <see cref="PaymentTransition.To"/>.</summary>
    Moves,
    /// <summary>A fact recorded against a payment that does not move it (a dispute of applied or refunded money): staff act on it.</summary>
    Stays,
    /// <summary>Not allowed from this state; <see cref="PaymentTransition.Reason"/> says why, in dues terms.</summary>
    Refused,
}

/// <summary>What <see cref="PaymentLifecycle.Next"/> decided.</summary>
public sealed record PaymentTransition(TransitionKind Kind, PaymentState From, PaymentEvent Event, PaymentState To, string Reason)
{
    public bool IsAllowed => Kind != TransitionKind.Refused;
}

/// <summary>
/// The payment state machine: the only table of which event moves a payment from which state to which.
/// Decisions that move money (<see cref="PaymentEvent.Hold"/>, <see cref="PaymentEvent.Apply"/>,
/// <see cref="PaymentEvent.PutOnAccount"/>) start only from an unapplied state, so money is applied once;
/// money that went back (refunded, returned, voided) accepts nothing further.
/// </summary>
public static class PaymentLifecycle
{
    private static readonly Dictionary<(PaymentState From, PaymentEvent Event), (TransitionKind Kind, PaymentState To)> Table = Build();

    /// <summary>Every allowed (from, event, to) triple, for documentation and tests.</summary>
    public static IEnumerable<(PaymentState From, PaymentEvent Event, PaymentState To, TransitionKind Kind)> Transitions =>
        Table.Select(kv => (kv.Key.From, kv.Key.Event, kv.Value.To, kv.Value.Kind));

    /// <summary>Decides what <paramref name="event"/> does to a payment in state <paramref name="from"/>; never throws.</summary>
    public static PaymentTransition Next(PaymentState from, PaymentEvent @event)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (Table.TryGetValue((from, @event), out var t))
            return new PaymentTransition(t.Kind, from, @event, t.To, t.Kind == TransitionKind.Stays ? $"the payment stays {from.Code}; staff act on the {Verb(@event)} event" : $"{from.Code} -> {t.To.Code}");
        return new PaymentTransition(TransitionKind.Refused, from, @event, from, RefusalReason(from, @event));
    }

    private static string RefusalReason(PaymentState from, PaymentEvent e)
    {
        var verb = Verb(e);
        if (from.IsGone) return $"the payment was {from.Code}: its money went back to the payer, so it cannot be {verb}";
        if (from == PaymentState.Held && e == PaymentEvent.ReverseApplication) return "the payment is held in GL_AI_Hold: override the hold instead of reversing it";
        if (from.IsUnapplied && e == PaymentEvent.ReverseApplication) return $"the payment is {from.Code}: nothing of it is applied, so there is nothing to reverse";
        if (from.Group == PaymentStateGroup.Applied && e is PaymentEvent.Apply or PaymentEvent.PutOnAccount or PaymentEvent.Hold)
            return $"the payment is already {from.Code}: override or reverse that application before it can be {verb}";
        return $"a payment that is {from.Code} cannot be {verb}";
    }

    private static string Verb(PaymentEvent e) => e switch
    {
        PaymentEvent.SendToReview => "sent to review",
        PaymentEvent.Hold => "applied automatically",
        PaymentEvent.Apply => "applied",
        PaymentEvent.Post => "posted",
        PaymentEvent.Override => "overridden",
        PaymentEvent.PutOnAccount => "put on account",
        PaymentEvent.Void => "voided",
        PaymentEvent.Refund => "refunded",
        PaymentEvent.PartialRefund => "partly refunded",
        PaymentEvent.Return => "returned",
        PaymentEvent.Dispute => "disputed",
        PaymentEvent.ReverseApplication => "reversed",
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };

    private static Dictionary<(PaymentState, PaymentEvent), (TransitionKind, PaymentState)> Build()
    {
        var t = new Dictionary<(PaymentState, PaymentEvent), (TransitionKind, PaymentState)>();
        void Move(PaymentEvent e, PaymentState to, params PaymentState[] from)
        {
            foreach (var f in from) t.Add((f, e), (TransitionKind.Moves, to));
        }

        void Stay(PaymentEvent e, params PaymentState[] from)
        {
            foreach (var f in from) t.Add((f, e), (TransitionKind.Stays, f));
        }

        var received = PaymentState.Received;
        var review = PaymentState.InReview;
        var disputed = PaymentState.Disputed;
        var partly = PaymentState.PartiallyRefunded;
        var held = PaymentState.Held;
        var applied = PaymentState.Applied;
        var posted = PaymentState.Posted;
        var onAccount = PaymentState.OnAccount;

        Move(PaymentEvent.SendToReview, review, received);
        // Only the matcher holds, and only a payment it has not decided before.
        Move(PaymentEvent.Hold, held, received);
        // Staff decide from the queue; a disputed payment is decided by staff once the dispute is settled.
        Move(PaymentEvent.Apply, applied, received, review, disputed);
        Move(PaymentEvent.PutOnAccount, onAccount, received, review, disputed, held);
        Move(PaymentEvent.Post, posted, held);
        Move(PaymentEvent.Override, review, held);
        // Staff take back an application that stands (a wrong member, a chargeback of applied money): the exact
        // negation of its final credits returns the whole payment to unapplied cash, and it goes back to review.
        Move(PaymentEvent.ReverseApplication, review, applied, posted, onAccount);
        // Facts from the gateway or bank. A held payment is overridden first (its hold voided), so money
        // leaving is never posted from GL_AI_Hold afterwards.
        Move(PaymentEvent.Refund, PaymentState.Refunded, received, review, disputed, partly, applied, posted, onAccount);
        Move(PaymentEvent.Return, PaymentState.Returned, received, review, disputed, partly, applied, posted, onAccount);
        Move(PaymentEvent.Void, PaymentState.Voided, received, review, disputed, partly, applied, posted, onAccount);
        Move(PaymentEvent.PartialRefund, partly, received, review, disputed, partly);
        Stay(PaymentEvent.PartialRefund, applied, posted, onAccount);
        Move(PaymentEvent.Dispute, disputed, received, review);
        // A chargeback of money already applied, or already sent back, moves nothing here: it is kept and staff
        // act on it (reverse the application, contest a chargeback of a refunded payment).
        Stay(PaymentEvent.Dispute, disputed, partly, applied, posted, onAccount, PaymentState.Refunded, PaymentState.Returned, PaymentState.Voided);
        return t;
    }
}
