using System.CommandLine;
using System.Globalization;
using DuesPilot.ImisSandbox;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot imis-sandbox</c>: runs the iMIS look-alike server on 127.0.0.1 until Ctrl+C.</summary>
public static class ImisSandboxCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 5081 };
        var members = new Option<int>("--members") { Description = "Parties to seed into a new database.", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Generator seed: the same seed gives the same association.", DefaultValueFactory = _ => 1 };
        var years = new Option<int>("--years") { Description = "Dues years of invoice history to seed.", DefaultValueFactory = _ => 1 };
        var data = CommonOptions.Data();
        var user = new Option<string>("--user") { Description = "Login of the sandbox's service user.", DefaultValueFactory = _ => "admin" };
        var password = new Option<string>("--password") { Description = "Password of the service user.", DefaultValueFactory = _ => "admin" };
        var pathBase = new Option<string>("--path-base") { Description = "Virtual directory to serve under (e.g. /imis), as cloud sites have.", DefaultValueFactory = _ => "" };
        var faults = new Option<string?>("--faults") { Description = "Default faults, e.g. errors=0.3,afterwrite=0.1,latency=20,rejecttoken=0.05 (per request: header X-Sandbox-Faults)." };
        var command = new Command("imis-sandbox", "Run the bundled iMIS sandbox (same wire format as iMIS, seeded association, fault injection) until Ctrl+C.")
        {
            port, members, seed, years, data, user, password, pathBase, faults,
        };
        command.SetAction(async (parse, ct) =>
        {
            var folder = Path.Combine(CommonOptions.StoreOptionsFrom(parse.GetValue(data), null).DataDirectory, "imis-sandbox");
            var options = new ImisSandboxOptions
            {
                Port = parse.GetValue(port),
                Members = parse.GetValue(members),
                Seed = parse.GetValue(seed),
                YearsOfHistory = parse.GetValue(years),
                DataDirectory = folder,
                Username = parse.GetValue(user)!,
                Password = parse.GetValue(password)!,
                PathBase = parse.GetValue(pathBase)!,
            };
            if (options.Members < 2) throw new UserInputException("--members must be at least 2.");
            if (parse.GetValue(faults) is { Length: > 0 } spec)
            {
                try
                {
                    options.Faults = options.Faults.With(spec);
                }
                catch (FormatException)
                {
                    throw new UserInputException($"--faults '{spec}' is not like errors=0.3,afterwrite=0.1,latency=20.");
                }
            }

            await using var host = await ImisSandboxHost.StartAsync(options, ct);
            Out.Console.MarkupLine($"iMIS sandbox at [bold]{Markup.Escape(host.BaseUrl)}[/] (token: {Markup.Escape(host.BaseUrl)}/token, login {Markup.Escape(options.Username)}/****), data in {Markup.Escape(folder)}.");
            Out.Console.MarkupLine("A database that already exists keeps its data; delete the folder to reseed. Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                Out.Console.MarkupLine($"Stopped after {host.Requests.ToString(CultureInfo.InvariantCulture)} API request(s).");
            }

            return 0;
        });
        return command;
    }
}
