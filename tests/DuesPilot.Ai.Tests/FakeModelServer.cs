using System.Collections.Concurrent;
using System.Text.Json;
using DuesPilot.Ai;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Ai.Tests;

/// <summary>What the fake model does with one request.</summary>
/// <param name="Content">The assistant message text (JSON or garbage).</param>
/// <param name="Status">HTTP status; anything but 200 is an outage.</param>
/// <param name="Delay">Wait before answering (honours the client hanging up).</param>
public sealed record FakeReply(string Content, int Status = 200, TimeSpan Delay = default, int PromptTokens = 120, int CompletionTokens = 40);

/// <summary>
/// An OpenAI-compatible server on 127.0.0.1 (a free port) answering <c>/v1/chat/completions</c> with
/// scripted replies, and keeping every request body it received so tests can look for leaks.
/// </summary>
public sealed class FakeModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();

    private FakeModelServer(WebApplication app, Func<JsonElement, FakeReply> reply)
    {
        _app = app;
        Reply = reply;
    }

    public Func<JsonElement, FakeReply> Reply { get; set; }

    public IReadOnlyList<string> Requests => [.. _requests];

    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1/");

    public static async Task<FakeModelServer> StartAsync(Func<JsonElement, FakeReply> reply)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeModelServer(app, reply);
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync(http.RequestAborted);
            server._requests.Enqueue(body);
            using var doc = JsonDocument.Parse(body);
            var r = server.Reply(doc.RootElement.Clone());
            if (r.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(r.Delay, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            http.Response.StatusCode = r.Status;
            http.Response.ContentType = "application/json";
            if (r.Status != 200)
            {
                await http.Response.WriteAsync("""{"error":{"message":"scripted outage","type":"server_error"}}""");
                return;
            }

            var payload = new
            {
                id = "chatcmpl-test", @object = "chat.completion", created = 1764000000, model = "test-model",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = r.Content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = r.PromptTokens, completion_tokens = r.CompletionTokens, total_tokens = r.PromptTokens + r.CompletionTokens },
            };
            await http.Response.WriteAsync(JsonSerializer.Serialize(payload));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/v1/");
        return server;
    }

    public AiOptions Options(int timeoutMs = 5000, int retries = 0, long tokenBudget = 1_000_000) =>
        new(Endpoint: BaseUrl.ToString(), Model: "test-model", ApiKey: "sk-test", MaxRetries: retries, DailyTokenBudget: tokenBudget) { TimeoutMilliseconds = timeoutMs };

    public IChatClient Client(AiOptions options) => AiChatClient.Create(options)!;

    /// <summary>The texts of every message the model was sent, decoded from JSON.</summary>
    public IEnumerable<string> SentMessages() =>
        Requests.SelectMany(r =>
        {
            using var doc = JsonDocument.Parse(r);
            return doc.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").ValueKind == JsonValueKind.String ? m.GetProperty("content").GetString()! : m.GetProperty("content").GetRawText()).ToList();
        });

    /// <summary>The user message of a request (where the prompt puts the inputs).</summary>
    public static string UserMessage(JsonElement request) =>
        request.GetProperty("messages").EnumerateArray().Last().GetProperty("content") is { ValueKind: JsonValueKind.String } s ? s.GetString()! : "";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
