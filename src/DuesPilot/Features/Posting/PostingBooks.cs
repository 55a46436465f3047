namespace DuesPilot.Features.Posting;

/// <summary>
/// The chart of accounts and posting controls as configured, handed together to every handler that books
/// money (intake receipts and returns, decisions, hold release). Built once by the composition root
/// (<c>AddDuesPilotCore</c>), never by a handler, so every entry of a day uses the same mapped accounts.
/// </summary>
public sealed record PostingBooks(ChartOfAccounts Accounts, PostingOptions Options);
