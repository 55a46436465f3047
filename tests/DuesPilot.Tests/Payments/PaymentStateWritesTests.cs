using System.Text.RegularExpressions;

namespace DuesPilot.Tests.Payments;

/// <summary>A payment's state is written in one place: every source file is read, so a new handler is covered too.</summary>
public partial class PaymentStateWritesTests
{
    [GeneratedRegex(@"UPDATE\s+payments\s+SET\s+[^;""]*\bstate\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StateWrite();

    [Fact]
    public void UpdatePaymentsSetState_AppearsOnlyInTransitionAsync()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "DuesPilot.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var files = Directory.EnumerateFiles(Path.Combine(root.FullName, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count > 100, $"only {files.Count} source files found under {root.FullName}/src");
        var writers = files.Where(f => StateWrite().IsMatch(File.ReadAllText(f))).Select(f => Path.GetRelativePath(root.FullName, f).Replace('\\', '/')).ToList();
        Assert.Equal(["src/DuesPilot/Features/Payments/PaymentStates.cs"], writers);
    }
}
