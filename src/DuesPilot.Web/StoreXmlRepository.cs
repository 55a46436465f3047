using System.Xml.Linq;
using Dapper;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace DuesPilot.Web;

/// <summary>
/// ASP.NET Data Protection keys (which sign the staff sign-in cookie and the antiforgery tokens) kept in
/// the DuesPilot store, so every <c>duespilot serve</c> instance on one database shares them: a sign-in
/// on one instance is valid on the others, and no sticky sessions or shared folder are needed. The table
/// is created on first use (SQL valid on SQLite and PostgreSQL). Keys are stored as the XML the framework
/// produces; protect the database as you protect the secrets in configuration.
/// </summary>
public sealed class StoreXmlRepository(Store store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() =>
        store.InTransactionAsync(async (c, tx) =>
        {
            return (await c.QueryAsync<string>("SELECT xml FROM data_protection_keys ORDER BY friendly_name", transaction: tx)).Select(x => XElement.Parse(x)).ToList();
        }).GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            // The table comes from migration 0010. Two instances creating the first key at once each keep their own (names are unique GUIDs); both are valid.
            await c.ExecuteAsync("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (friendly_name) DO NOTHING",
                new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) }, tx);
            return true;
        }).GetAwaiter().GetResult();
}
