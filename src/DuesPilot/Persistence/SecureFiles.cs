using System.Runtime.InteropServices;

namespace DuesPilot.Persistence;

/// <summary>
/// The data folder and what is in it are readable by the service's user only: the folder and
/// <c>secrets/</c> are 0700, the SQLite database (and so its <c>-wal</c> and <c>-shm</c>, which SQLite
/// creates with the database file's mode) and every secret file 0600 from the moment they are created.
/// </summary>
public static class SecureFiles
{
    public const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder 0700 (or tightens an existing one to 0700).</summary>
    public static void Folder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, OwnerOnlyFolder);
        File.SetUnixFileMode(path, OwnerOnlyFolder);
    }

    /// <summary>Creates an empty file 0600 if it does not exist; tightens an existing one to 0600.</summary>
    public static void File600(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        if (!File.Exists(path))
        {
            using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnlyFile });
            return;
        }

        File.SetUnixFileMode(path, OwnerOnlyFile);
    }

    /// <summary>The SQLite database and its companions, 0600; created empty first so SQLite never makes them wider.</summary>
    public static void SqliteDatabase(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir && !Directory.Exists(dir)) Folder(dir);
        File600(path);
        foreach (var companion in new[] { path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(companion)) File.SetUnixFileMode(companion, OwnerOnlyFile);
        }
    }

    /// <summary>
    /// A secret kept in <c>{folder}/{name}</c>: read when present, else generated, written 0600 (never wider,
    /// not even for a moment) in a 0700 folder, and read back. Several processes may start on one data folder at
    /// once (two <c>serve</c> on one database): the secret is written whole to a private temporary file and then
    /// moved into place without overwriting, so a reader never sees it half written and every process ends up with
    /// the one that was published first.
    /// </summary>
    public static string ReadOrCreateSecret(string folder, string name, Func<string> generate)
    {
        Folder(folder);
        var file = Path.Combine(folder, name);
        if (!File.Exists(file))
        {
            var temporary = Path.Combine(folder, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnlyFile;
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(generate());
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            try
            {
                Publish(temporary, file);
            }
            finally
            {
                if (File.Exists(temporary)) File.Delete(temporary);
            }
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, OwnerOnlyFile);
        }

        var secret = File.ReadAllText(file).Trim();
        if (secret.Length == 0) throw new InvalidOperationException($"{file} is empty; delete it to have a new secret generated, or restore it from backup");
        return secret;
    }

    /// <summary>
    /// Puts <paramref name="temporary"/> in place as <paramref name="file"/> unless a file is already there, in one
    /// step: <c>link(2)</c> on Unix (File.Move without overwrite checks and then renames, which lets two
    /// processes both "win"), MoveFileEx without replace on Windows. Losing the race is not an error.
    /// </summary>
    private static void Publish(string temporary, string file)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(temporary, file, overwrite: false);
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process published its secret first: use theirs.
            }

            return;
        }

        if (Link(temporary, file) == 0) return;
        var error = Marshal.GetLastPInvokeError();
        if (File.Exists(file)) return; // EEXIST: another process published its secret first
        throw new IOException($"cannot create {file}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
}
