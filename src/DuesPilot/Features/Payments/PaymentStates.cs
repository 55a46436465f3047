using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using Microsoft.Data.Sqlite;

namespace DuesPilot.Features.Payments;

/// <summary>
/// The one place a payment's state is written. Every handler reads the state under a row lock
/// (<see cref="LockAsync"/>), asks <see cref="PaymentLifecycle"/> what an event does, writes its money,
/// then calls <see cref="TransitionAsync"/>, which updates the row only if it is still in the state read
/// (<c>UPDATE … WHERE state = @from</c>) and checks that exactly one row moved.
/// </summary>
public static class PaymentStates
{
    /// <summary>
    /// Reads a payment's state and locks its row until the transaction ends (<c>SELECT … FOR UPDATE</c> on
    /// PostgreSQL; SQLite transactions already hold the write lock), so two decisions on one payment run one
    /// after the other. Null when no such payment was received.
    /// </summary>
    public static async Task<PaymentState?> LockAsync(DbConnection c, DbTransaction tx, PaymentId id)
    {
        var code = await c.ExecuteScalarAsync<string?>("SELECT state FROM payments WHERE payment_id = @id" + ForUpdate(c), new { id = id.Value }, tx);
        return code is null ? null : PaymentState.Parse(code);
    }

    /// <summary>
    /// Applies <paramref name="event"/> to a payment known to be in <paramref name="from"/>. A refused or
    /// "stays" transition writes nothing and is returned as is. A move writes the new state only where the
    /// row is still <paramref name="from"/>; any other row count means a handler skipped the lock, a bug,
    /// so it throws and the unit of work rolls back with all the money it wrote.
    /// </summary>
    public static async Task<PaymentTransition> TransitionAsync(DbConnection c, DbTransaction tx, PaymentId id, PaymentState from, PaymentEvent @event)
    {
        var transition = PaymentLifecycle.Next(from, @event);
        if (transition.Kind != TransitionKind.Moves) return transition;
        var moved = await c.ExecuteAsync(
            "UPDATE payments SET state = @to WHERE payment_id = @id AND state = @from",
            new { to = transition.To.Code, id = id.Value, from = from.Code }, tx);
        if (moved != 1)
            throw new PaymentStateConflictException($"payment {id} was expected to be {from.Code} for {@event}, but {moved} row(s) were; nothing was written");
        return transition;
    }

    /// <summary><c> FOR UPDATE</c> on PostgreSQL, nothing on SQLite (whose transactions take the write lock up front).</summary>
    public static string ForUpdate(DbConnection c) => c is SqliteConnection ? "" : " FOR UPDATE";

    /// <summary>
    /// What of a payment still sits in unapplied cash, derived from the ledger: every entry about a payment
    /// is keyed <c>payment:{id}:…</c>, so this is the credit balance of its unapplied-cash lines.
    /// </summary>
    public static async Task<Money> UnappliedOfAsync(DbConnection c, DbTransaction tx, AccountCode unappliedCash, PaymentId id, Currency currency)
    {
        var prefix = $"payment:{id.Value}:";
        var minor = await c.ExecuteScalarAsync<long?>(
            """
            SELECT CAST(SUM(l.amount_minor) AS BIGINT) FROM journal_lines l JOIN journal_entries e ON e.entry_id = l.entry_id
            WHERE l.account = @account AND l.currency = @currency AND SUBSTR(e.idempotency_key, 1, @n) = @prefix
            """,
            new { account = unappliedCash.Value, currency = currency.Code, n = prefix.Length, prefix }, tx) ?? 0;
        // Lines are signed debit-positive; unapplied cash is a liability, so what it holds is the negation.
        return Money.FromMinor(-minor, currency);
    }
}

/// <summary>A payment row was not in the state its handler read under lock: a bug, never an expected outcome.</summary>
public sealed class PaymentStateConflictException(string message) : InvalidOperationException(message);
