namespace DuesPilot.Intake.Tests;

/// <summary>The real sample files under Fixtures/ (see Fixtures/SOURCES.md), read as they are.</summary>
internal static class Fixture
{
    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "Fixtures", relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(PathOf(relative));

    public static string Text(string relative) => File.ReadAllText(PathOf(relative));
}
