using System.CommandLine;
using System.Globalization;
using DuesPilot.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot serve</c>: run the service (webhooks, health, workers) until Ctrl+C.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on.", DefaultValueFactory = _ => 5080 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on (0.0.0.0 for every interface).", DefaultValueFactory = _ => "127.0.0.1" };
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var command = new Command("serve", "Run the DuesPilot service: staff UI, JSON API, intake webhooks (/webhooks/stripe, /webhooks/authorizenet, /webhooks/imis), member assistant, scheduled jobs, /health and /metrics. Secrets come from configuration (Intake__Stripe__WebhookSecret, …).")
        {
            port, bind, data, db,
        };
        command.SetAction(async (parse, ct) =>
        {
            var urls = string.Create(CultureInfo.InvariantCulture, $"http://{parse.GetValue(bind)}:{parse.GetValue(port)}");
            var app = await ServerHost.BuildAsync(new ServerHostOptions(CommonOptions.StoreOptionsFrom(parse.GetValue(data), parse.GetValue(db)), urls), ct);
            await using (app)
            {
                await app.StartAsync(ct);
                var store = app.Services.GetRequiredService<DuesPilot.Persistence.Store>();
                Out.Console.MarkupLine($"DuesPilot listening on {ServerHost.Address(app)}, store {Markup.Escape(store.Description)}, {Markup.Escape(app.Services.GetRequiredService<DuesPilot.Domain.BusinessClock>().ToString())} — Ctrl+C to stop.");
                if (app.Configuration[ServerHost.InitialAdminPasswordKey] is { } password)
                    Out.Console.MarkupLine($"First start: created staff account [bold]admin[/] with password [bold]{Markup.Escape(password)}[/] (shown once; add colleagues with duespilot staff add).");
                await app.WaitForShutdownAsync(ct);
            }

            return 0;
        });
        return command;
    }
}
