using System.Globalization;
using System.Security.Cryptography;

namespace DuesPilot.Features.Intake.BankFiles;

/// <summary>What identifies a file's version without reading it: its size and last write time.</summary>
public sealed record FileStamp(long Length, DateTime LastWriteUtc);

/// <summary>
/// A bank file that can be read more than once, front to back: the two passes of an import (check, then
/// queue) each open it anew. A file on disk is never loaded whole; bytes already in memory are read in place.
/// </summary>
public sealed class BankFileSource
{
    private readonly Func<Stream> _open;
    private readonly Func<FileStamp> _stamp;

    private BankFileSource(string name, Func<Stream> open, Func<FileStamp> stamp)
    {
        Name = name;
        _open = open;
        _stamp = stamp;
    }

    /// <summary>The file's name as given (a path for a file on disk).</summary>
    public string Name { get; }

    public static BankFileSource FromBytes(string name, byte[] content) =>
        new(name, () => new MemoryStream(content, writable: false), () => new FileStamp(content.LongLength, DateTime.UnixEpoch));

    /// <summary>
    /// A regular file on disk. The caller has refused folders, FIFOs and devices (see the CLI's check); each open
    /// checks again that the path is a regular file, so a file swapped for a pipe between the passes is refused, not waited on.
    /// </summary>
    public static BankFileSource FromPath(string path) => new(path, () =>
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length == 0 || (info.Attributes & (FileAttributes.Directory | FileAttributes.Device)) != 0)
            throw new BankFileException($"{Path.GetFileName(path)} is no longer a regular file with content", 0);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }, () =>
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : new FileStamp(-1, DateTime.MinValue);
    });

    /// <summary>Opens the file for one pass; the stream hashes and counts what is read and refuses more than <see cref="BankFile.MaxBytes"/>.</summary>
    public HashingStream Open() => new(_open());

    public FileStamp Stamp() => _stamp();

    /// <summary>The first bytes of the file (for format detection), at most <paramref name="count"/>.</summary>
    public byte[] Head(int count)
    {
        using var stream = _open();
        var buffer = new byte[count];
        var read = 0;
        int n;
        while (read < count && (n = stream.Read(buffer, read, count - read)) > 0) read += n;
        return buffer[..read];
    }
}

/// <summary>
/// A read-only, forward-only view of a bank file that computes its SHA-256 and length as it is read, and
/// refuses the file once more than <see cref="BankFile.MaxBytes"/> bytes have come through (a file that
/// grows while it is read, or a device that never ends, stops there).
/// </summary>
public sealed class HashingStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string? _final;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    /// <summary>Reads what is left (a parser may stop before the end) and returns the hash of everything; refuses an empty file.</summary>
    public string Finish()
    {
        if (_final is not null) return _final;
        var buffer = new byte[1 << 16];
        while (Read(buffer, 0, buffer.Length) > 0)
        {
        }

        if (BytesRead == 0) throw new BankFileException("the file is empty", 0);
        _final = Convert.ToHexStringLower(_hash.GetHashAndReset());
        return _final;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_final is not null) return 0;
        var n = inner.Read(buffer);
        Count(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_final is not null) return 0;
        var n = await inner.ReadAsync(buffer, cancellationToken);
        Count(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Count(ReadOnlySpan<byte> read)
    {
        if (read.IsEmpty) return;
        BytesRead += read.Length;
        if (BytesRead > BankFile.MaxBytes)
            throw new BankFileException(string.Create(CultureInfo.InvariantCulture, $"the file is larger than {BankFile.MaxBytes:N0} bytes"), 0);
        _hash.AppendData(read);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
