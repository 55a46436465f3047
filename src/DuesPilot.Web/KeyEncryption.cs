using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Web;

/// <summary>
/// The key-encryption key that wraps the Data Protection master keys kept in the store (security finding 3):
/// whoever reads the database alone cannot forge a staff cookie. It comes from <c>DataProtection:KeyEncryptionKey</c>
/// (environment <c>DataProtection__KeyEncryptionKey</c>, any text of 32+ characters, e.g. 32 random bytes in
/// base64); without one it is generated once into <c>&lt;data&gt;/secrets/data-protection.kek</c> (0600). Every
/// instance on one database needs the same key.
/// </summary>
public sealed class KeyEncryptionKey
{
    public const string Setting = "DataProtection:KeyEncryptionKey";
    public const string FileName = "data-protection.kek";

    private readonly byte[] _key;

    public KeyEncryptionKey(string secret)
    {
        if (secret.Trim().Length < 32) throw new InvalidOperationException($"{Setting} must be at least 32 characters (e.g. 32 random bytes in base64)");
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret.Trim()), 32, info: "DuesPilot data protection key encryption"u8.ToArray());
        Id = Convert.ToHexStringLower(SHA256.HashData(_key))[..16];
    }

    /// <summary>A fingerprint of the key (not the key), written next to each wrapped key so a wrong key is named as such.</summary>
    public string Id { get; }

    public static KeyEncryptionKey FromConfiguration(IConfiguration configuration)
    {
        var configured = configuration[Setting];
        if (!string.IsNullOrWhiteSpace(configured)) return new KeyEncryptionKey(configured);
        var data = configuration["DataDirectory"] is { Length: > 0 } d ? d : StoreOptions.DefaultDataDirectory;
        return new KeyEncryptionKey(SecureFiles.ReadOrCreateSecret(Path.Combine(data, "secrets"), FileName, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
    }

    public byte[] Seal(byte[] plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        var cipher = new byte[plaintext.Length];
        using var aes = new AesGcm(_key, tag.Length);
        aes.Encrypt(nonce, plaintext, cipher, tag, Encoding.ASCII.GetBytes(Id));
        return [.. nonce, .. tag, .. cipher];
    }

    public byte[] Open(byte[] sealedBytes, string id)
    {
        if (id != Id) throw new CryptographicException($"this Data Protection key was wrapped with another key-encryption key ({id}); set {Setting} to the key every instance uses");
        var nonce = sealedBytes.AsSpan(0, 12);
        var tag = sealedBytes.AsSpan(12, 16);
        var cipher = sealedBytes.AsSpan(28);
        var plain = new byte[cipher.Length];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(nonce, cipher, tag, plain, Encoding.ASCII.GetBytes(Id));
        return plain;
    }
}

/// <summary>Wraps a Data Protection master key with the <see cref="KeyEncryptionKey"/> (AES-256-GCM) before it is stored.</summary>
public sealed class KeyEncryptionXmlEncryptor(KeyEncryptionKey kek) : IXmlEncryptor
{
    public static readonly XName Wrapped = XName.Get("wrappedKey", "urn:duespilot:data-protection");

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedBytes = kek.Seal(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)));
        return new EncryptedXmlInfo(new XElement(Wrapped, new XAttribute("kek", kek.Id), Convert.ToBase64String(sealedBytes)), typeof(KeyEncryptionXmlDecryptor));
    }
}

/// <summary>Unwraps what <see cref="KeyEncryptionXmlEncryptor"/> wrapped (created by the framework with the service provider).</summary>
public sealed class KeyEncryptionXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var kek = services.GetRequiredService<KeyEncryptionKey>();
        var plain = kek.Open(Convert.FromBase64String(encryptedElement.Value), (string?)encryptedElement.Attribute("kek") ?? "");
        return XElement.Parse(Encoding.UTF8.GetString(plain));
    }
}
