using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace DuesPilot.Ai.Tests;

/// <summary>
/// A real IMAP server for the mailbox tests: Debian's dovecot-imapd (<c>/usr/sbin/dovecot</c>, installed by
/// the README's test command) started in the foreground with a generated configuration, a passwd-file
/// user and a maildir, all in a temp folder, listening on a free 127.0.0.1 port. Run as root (containers),
/// dovecot insists on its unprivileged users for the login process and the mail files; otherwise
/// everything runs as the current user.
/// </summary>
public sealed class DovecotServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/dovecot";
    private readonly Process _process;
    private readonly string _folder;

    private DovecotServer(Process process, string folder, int port, string user, string password)
    {
        _process = process;
        _folder = folder;
        Port = port;
        User = user;
        Password = password;
    }

    public int Port { get; }

    public string User { get; }

    public string Password { get; }

    public string Log => File.Exists(Path.Combine(_folder, "dovecot.log")) ? File.ReadAllText(Path.Combine(_folder, "dovecot.log")) : "";

    public static async Task<DovecotServer> StartAsync(string user = "support", string password = "mailbox-test-secret")
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install Debian's dovecot-imapd (the README's test command does).");
        var folder = Directory.CreateTempSubdirectory("duespilot-dovecot-").FullName;
        var port = FreePort();
        var root = Environment.UserName == "root";
        var home = Path.Combine(folder, "home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(folder, "passwd"), $"{user}:{{PLAIN}}{password}::::::\n");
        if (root && !OperatingSystem.IsWindows())
        {
            // dovecot's own users read the passwd file (auth) and write the maildir (imap).
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(Path.Combine(folder, "passwd"), (UnixFileMode)0b110_100_100);
            File.SetUnixFileMode(home, (UnixFileMode)0b111_111_111);
        }

        var (uid, gid) = root ? ("dovecot", "dovecot") : (Id("-u"), Id("-g"));
        var internalUser = root ? "dovecot" : Environment.UserName;
        var config = $$"""
            base_dir = {{folder}}/run
            state_dir = {{folder}}/state
            log_path = {{folder}}/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            default_internal_user = {{internalUser}}
            default_internal_group = {{(root ? "dovecot" : Id("-gn"))}}
            default_login_user = {{(root ? "dovenull" : Environment.UserName)}}
            first_valid_uid = 1
            first_valid_gid = 1
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{folder}}/passwd
            }
            userdb {
              driver = static
              args = uid={{uid}} gid={{gid}} home={{home}}/%u
            }
            mail_location = maildir:~/Maildir
            service imap-login {
              chroot =
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            service anvil {
              chroot =
            }
            service stats {
              unix_listener stats-reader {
                mode = 0600
              }
              unix_listener stats-writer {
                mode = 0600
              }
            }
            """;
        var conf = Path.Combine(folder, "dovecot.conf");
        File.WriteAllText(conf, config);
        var process = Process.Start(new ProcessStartInfo(Binary, ["-F", "-c", conf]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var server = new DovecotServer(process, folder, port, user, password);
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while (true)
        {
            try
            {
                using var probe = new ImapClient { Timeout = 20000 };
                await probe.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
                await probe.AuthenticateAsync(user, password);
                await probe.Inbox.OpenAsync(FolderAccess.ReadOnly);
                await probe.DisconnectAsync(true);
                return server;
            }
            catch (Exception ex) when (ex is SocketException or IOException or ImapProtocolException or ImapCommandException or AuthenticationException or TimeoutException)
            {
                if (process.HasExited || TimeProvider.System.GetUtcNow() > deadline)
                {
                    var log = server.Log;
                    await server.DisposeAsync();
                    Assert.Fail($"dovecot did not start on 127.0.0.1:{port}: {ex.Message}\n{log}");
                }

                await Task.Delay(200);
            }
        }
    }

    /// <summary>Puts a message in the INBOX, as a member's mail arriving.</summary>
    public async Task DeliverAsync(MimeMessage message)
    {
        using var client = new ImapClient { Timeout = 30000 };
        await client.ConnectAsync("127.0.0.1", Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(User, Password);
        await client.Inbox.AppendAsync(message, MessageFlags.None);
        await client.DisconnectAsync(true);
    }

    /// <summary>The keywords of every message in the INBOX, by UID.</summary>
    public async Task<IReadOnlyDictionary<uint, IReadOnlySet<string>>> KeywordsAsync()
    {
        using var client = new ImapClient { Timeout = 30000 };
        await client.ConnectAsync("127.0.0.1", Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(User, Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var summaries = await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
        await client.DisconnectAsync(true);
        return summaries.ToDictionary(s => s.UniqueId.Id, s => (IReadOnlySet<string>)s.Keywords.ToHashSet(StringComparer.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, true);
        }
        catch (IOException)
        {
            // A child process may still hold a file for a moment; the temp folder is cleaned by the OS.
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static string Id(string flag)
    {
        using var p = Process.Start(new ProcessStartInfo("id", [flag]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var value = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return value;
    }
}
