using System.Xml.Linq;
using Dapper;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace DuesPilot.Web;

/// <summary>
/// ASP.NET Data Protection keys (which sign the staff sign-in cookie and the antiforgery tokens) kept in
/// the DuesPilot store, so every <c>duespilot serve</c> instance on one database shares them: a sign-in
/// on one instance is valid on the others, and no sticky sessions or shared folder are needed. The master
/// key inside each is wrapped with the <see cref="KeyEncryptionKey"/> (the framework calls
/// <see cref="KeyEncryptionXmlEncryptor"/> before storing); a key stored in plaintext by an older version is
/// wrapped in place the first time the keys are read.
/// </summary>
public sealed class StoreXmlRepository(Store store, KeyEncryptionKey kek) : IXmlRepository
{
    private static readonly XName RequiresEncryption = XName.Get("requiresEncryption", "http://schemas.asp.net/2015/03/dataProtection");
    private static readonly XName EncryptedSecret = XName.Get("encryptedSecret", "http://schemas.asp.net/2015/03/dataProtection");

    public IReadOnlyCollection<XElement> GetAllElements() =>
        store.InTransactionAsync<IReadOnlyCollection<XElement>>(async (c, tx) =>
        {
            var rows = (await c.QueryAsync<(string Name, string Xml)>("SELECT friendly_name, xml FROM data_protection_keys ORDER BY friendly_name", transaction: tx)).ToList();
            var elements = new List<XElement>(rows.Count);
            foreach (var (name, xml) in rows)
            {
                var element = XElement.Parse(xml);
                if (WrapPlaintext(element))
                    await c.ExecuteAsync("UPDATE data_protection_keys SET xml = @xml WHERE friendly_name = @name", new { xml = element.ToString(SaveOptions.DisableFormatting), name }, tx);
                elements.Add(element);
            }

            return elements;
        }).GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            // The table comes from migration 0010. Two instances creating the first key at once each keep their own (names are unique GUIDs); both are valid.
            await c.ExecuteAsync("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (friendly_name) DO NOTHING",
                new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) }, tx);
            return true;
        }).GetAwaiter().GetResult();

    /// <summary>Replaces every element marked <c>requiresEncryption</c> with its wrapped form, as the framework does for new keys.</summary>
    private bool WrapPlaintext(XElement key)
    {
        var plain = key.Descendants().Where(e => (bool?)e.Attribute(RequiresEncryption) == true).ToList();
        foreach (var secret in plain)
        {
            var info = new KeyEncryptionXmlEncryptor(kek).Encrypt(secret);
            secret.ReplaceWith(new XElement(EncryptedSecret, new XAttribute("decryptorType", info.DecryptorType.AssemblyQualifiedName!), info.EncryptedElement));
        }

        return plain.Count > 0;
    }
}
