using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace DuesPilot.Ai;

/// <summary>Builds the <see cref="IChatClient"/> for an OpenAI-compatible endpoint (OpenAI, Azure OpenAI v1, Ollama, vLLM, LM Studio).</summary>
public static class AiChatClient
{
    /// <summary>The client for <paramref name="options"/>, or null when no model is configured.</summary>
    /// <remarks>
    /// The SDK's own retries are switched off: <see cref="GovernedModel"/> retries, so that every attempt
    /// is counted against the budget and the timeout applies per attempt. Local servers ignore the key,
    /// so a placeholder is sent when none is configured.
    /// </remarks>
    public static IChatClient? Create(AiOptions options)
    {
        if (!options.IsEnabled) return null;
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = new Uri(options.Endpoint!),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = options.AttemptTimeout + TimeSpan.FromSeconds(5),
        };
        var chat = new OpenAI.Chat.ChatClient(options.Model!, new ApiKeyCredential(options.ApiKey ?? "not-needed"), clientOptions);
        return chat.AsIChatClient();
    }
}
