using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace DuesPilot.Persistence;

/// <summary>
/// Secrets DuesPilot generates into the data folder when configuration does not set them, so nothing
/// secret is committed and links survive restarts. The service and every CLI command read them the
/// same way, from the same folder: a link made by <c>duespilot inquiries link --data DIR</c> is one the
/// service started with <c>--data DIR</c> accepts.
/// </summary>
public static class DataFolderSecrets
{
    /// <summary>The member-link signing key (<c>Inquiries:SigningKey</c>), in <c>DIR/secrets/</c>.</summary>
    public const string InquirySigningKeyFile = "inquiries-signing.key";

    public static string Folder(string dataDirectory) =>
        Path.Combine(string.IsNullOrWhiteSpace(dataDirectory) ? StoreOptions.DefaultDataDirectory : dataDirectory, "secrets");

    /// <summary>
    /// When <c>Inquiries:SigningKey</c> is not configured, sets it from the data folder's key file,
    /// making a random one the first time (0600 in a 0700 folder, see <see cref="SecureFiles"/>).
    /// </summary>
    public static void ApplyInquirySigningKey(IConfiguration configuration, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!string.IsNullOrWhiteSpace(configuration["Inquiries:SigningKey"])) return;
        configuration["Inquiries:SigningKey"] = SecureFiles.ReadOrCreateSecret(Folder(dataDirectory), InquirySigningKeyFile,
            () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
    }
}
