using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DuesPilot.Domain.Tests;

/// <summary>
/// The payment lifecycle against an oracle written here from the policy text (issue 18, docs/decisions/0180):
/// its own list of allowed moves and its own account of where a payment's money sits after each move.
/// Random event sequences (FsCheck; a failure prints the seed to replay) check that no path applies money
/// twice, that every state is reached only by a listed move, and that a payment's money is in unapplied
/// cash exactly when its state is an unapplied one.
/// </summary>
public class PaymentLifecycleTests
{
    private static readonly string[] UnappliedCodes = ["received", "in_review", "disputed", "partially_refunded"];
    private static readonly string[] AppliedCodes = ["held", "applied", "posted", "on_account"];
    private static readonly string[] GoneCodes = ["refunded", "returned", "voided"];

    /// <summary>The oracle: every move the policy allows, as (from, event, to).</summary>
    private static readonly HashSet<(string, PaymentEvent, string)> Moves = BuildOracle();

    private static HashSet<(string, PaymentEvent, string)> BuildOracle()
    {
        var m = new HashSet<(string, PaymentEvent, string)>
        {
            ("received", PaymentEvent.SendToReview, "in_review"),
            ("received", PaymentEvent.Hold, "held"),
            ("held", PaymentEvent.Post, "posted"),
            ("held", PaymentEvent.PutOnAccount, "on_account"),
            ("held", PaymentEvent.Override, "in_review"),
            // Staff reverse a standing application; the whole payment returns to unapplied cash (decision 0153).
            ("applied", PaymentEvent.ReverseApplication, "in_review"),
            ("posted", PaymentEvent.ReverseApplication, "in_review"),
            ("on_account", PaymentEvent.ReverseApplication, "in_review"),
        };
        foreach (var from in new[] { "received", "in_review", "disputed" })
        {
            m.Add((from, PaymentEvent.Apply, "applied"));
            m.Add((from, PaymentEvent.PutOnAccount, "on_account"));
        }

        foreach (var from in new[] { "received", "in_review", "disputed", "partially_refunded", "applied", "posted", "on_account" })
        {
            m.Add((from, PaymentEvent.Refund, "refunded"));
            m.Add((from, PaymentEvent.Return, "returned"));
            m.Add((from, PaymentEvent.Void, "voided"));
        }

        foreach (var from in new[] { "received", "in_review", "disputed", "partially_refunded" }) m.Add((from, PaymentEvent.PartialRefund, "partially_refunded"));
        m.Add(("received", PaymentEvent.Dispute, "disputed"));
        m.Add(("in_review", PaymentEvent.Dispute, "disputed"));
        return m;
    }

    [Fact]
    public void Groups_MatchThePolicy()
    {
        Assert.Equal(UnappliedCodes.Order(), PaymentState.All.Where(s => s.IsUnapplied).Select(s => s.Code).Order());
        Assert.Equal(AppliedCodes.Order(), PaymentState.All.Where(s => s.Group == PaymentStateGroup.Applied).Select(s => s.Code).Order());
        Assert.Equal(GoneCodes.Order(), PaymentState.All.Where(s => s.IsGone).Select(s => s.Code).Order());
    }

    [Fact]
    public void EveryStateAndEvent_MovesExactlyAsTheOracleSays()
    {
        foreach (var state in PaymentState.All)
        {
            foreach (var e in Enum.GetValues<PaymentEvent>())
            {
                var t = PaymentLifecycle.Next(state, e);
                var listed = Moves.Any(m => m.Item1 == state.Code && m.Item2 == e);
                Assert.True(listed == (t.Kind == TransitionKind.Moves), $"{state.Code} + {e}: lifecycle says {t.Kind} ({t.Reason}), oracle says {(listed ? "moves" : "does not move")}");
                if (listed) Assert.Contains((state.Code, e, t.To.Code), Moves);
                if (t.Kind == TransitionKind.Refused)
                {
                    Assert.Equal(state, t.To);
                    Assert.False(string.IsNullOrWhiteSpace(t.Reason));
                }
            }
        }
    }

    [Theory]
    [InlineData("received")]
    [InlineData("in_review")]
    [InlineData("held")]
    [InlineData("applied")]
    [InlineData("posted")]
    [InlineData("on_account")]
    [InlineData("disputed")]
    [InlineData("partially_refunded")]
    [InlineData("refunded")]
    [InlineData("returned")]
    [InlineData("voided")]
    public void Parse_EveryStoredSpelling_RoundTrips(string code) => Assert.Equal(code, PaymentState.Parse(code).Code);

    [Theory]
    [InlineData("partially-refunded")]
    [InlineData("in-review")]
    [InlineData("Received")]
    [InlineData("")]
    public void Parse_OtherSpelling_ThrowsNamingIt(string code) =>
        Assert.Contains($"'{code}'", Assert.Throws<FormatException>(() => PaymentState.Parse(code)).Message, StringComparison.Ordinal);

    [Fact]
    public void ReturnedPayment_PutOnAccount_RefusedSayingTheMoneyWentBack()
    {
        var t = PaymentLifecycle.Next(PaymentState.Returned, PaymentEvent.PutOnAccount);
        Assert.Equal(TransitionKind.Refused, t.Kind);
        Assert.Equal("the payment was returned: its money went back to the payer, so it cannot be put on account", t.Reason);
    }

    /// <summary>One payment's life in the oracle's terms: cents in unapplied cash, standing applications.</summary>
    private sealed class Life(long amount)
    {
        public long Amount { get; } = amount;
        public bool WentBack { get; set; }
        public PaymentState State { get; set; } = PaymentState.Received;
        public long Unapplied { get; set; } = amount;
        public int Standing { get; set; }
        public bool AppliedAfterGone { get; set; }
        public bool UnlistedMove { get; set; }
    }

    public sealed record Step(int Payment, PaymentEvent Event, int PartialPercent);

    private static Arbitrary<Step[]> Steps() =>
        (from p in Gen.Choose(0, 3)
         from e in Gen.Elements(Enum.GetValues<PaymentEvent>())
         from pct in Gen.Choose(1, 99)
         select new Step(p, e, pct)).ArrayOf().ToArbitrary();

    private static Life[] Run(Step[] steps)
    {
        var lives = new[] { new Life(19500), new Life(250000), new Life(1), new Life(39500) };
        foreach (var step in steps)
        {
            var life = lives[step.Payment];
            var t = PaymentLifecycle.Next(life.State, step.Event);
            if (t.Kind != TransitionKind.Moves) continue;
            var from = life.State.Code;
            var to = t.To.Code;
            if (!Moves.Contains((from, step.Event, to))) life.UnlistedMove = true;
            if (life.WentBack && AppliedCodes.Contains(to)) life.AppliedAfterGone = true;
            if (UnappliedCodes.Contains(from) && AppliedCodes.Contains(to))
            {
                life.Unapplied = 0;
                life.Standing++;
            }
            else if (AppliedCodes.Contains(from) && UnappliedCodes.Contains(to))
            {
                // An overridden hold or a reversed application gives the whole payment back to unapplied cash.
                life.Unapplied = life.Amount;
                life.Standing--;
            }
            else if (UnappliedCodes.Contains(from) && GoneCodes.Contains(to))
            {
                life.Unapplied = 0;
            }
            else if (UnappliedCodes.Contains(from) && to == "partially_refunded")
            {
                // Part goes back; at least a cent stays (a refund of all of it is a full refund).
                life.Unapplied -= Math.Min(life.Unapplied - 1, life.Unapplied * step.PartialPercent / 100);
            }

            life.State = t.To;
            life.WentBack |= GoneCodes.Contains(to);
        }

        return lives;
    }

    [Property(MaxTest = 500)]
    public Property AnySequence_NoPaymentAppliedTwice_NoMoveUnlisted() =>
        Prop.ForAll(Steps(), steps => Run(steps).All(l => l.Standing is 0 or 1 && !l.AppliedAfterGone && !l.UnlistedMove));

    [Property(MaxTest = 500)]
    public Property AnySequence_MoneyInUnappliedCashExactlyWhenStateIsUnapplied() =>
        Prop.ForAll(Steps(), steps => Run(steps).All(l =>
            l.State.IsUnapplied ? l.Unapplied > 0 && l.Standing == 0 : l.Unapplied == 0));

    [Property(MaxTest = 300)]
    public Property AnySequence_GoneIsFinal() =>
        Prop.ForAll(Steps(), steps =>
        {
            var state = PaymentState.Received;
            var wentBack = false;
            foreach (var s in steps.Where(s => s.Payment == 0))
            {
                var t = PaymentLifecycle.Next(state, s.Event);
                if (wentBack && t.Kind == TransitionKind.Moves) return false;
                state = t.Kind == TransitionKind.Moves ? t.To : state;
                wentBack |= state.IsGone;
            }

            return true;
        });
}
