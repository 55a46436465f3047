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
    /// not even for a moment) in a 0700 folder, and read back.
    /// </summary>
    public static string ReadOrCreateSecret(string folder, string name, Func<string> generate)
    {
        Folder(folder);
        var file = Path.Combine(folder, name);
        if (!File.Exists(file))
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnlyFile;
                using var stream = new FileStream(file, options);
                using var writer = new StreamWriter(stream);
                writer.Write(generate());
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process created it first: use theirs.
            }
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, OwnerOnlyFile);
        }

        return File.ReadAllText(file).Trim();
    }
}
