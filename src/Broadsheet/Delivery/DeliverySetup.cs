namespace Broadsheet.Delivery;

/// <summary>Registers the send engine and its settings.</summary>
public static class DeliverySetup
{
    public static void AddDelivery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DeliveryOptions>().Bind(builder.Configuration.GetSection("Delivery"))
            .Validate(o => o.Connections is >= 1 and <= 200, "Delivery:Connections must be between 1 and 200.")
            .Validate(o => o.ClaimSize is >= 1 and <= 10_000, "Delivery:ClaimSize must be between 1 and 10000.")
            .Validate(o => o.MaxPerSecond >= 0 && o.MaxPerHour >= 0 && o.MaxAttempts >= 1, "Delivery rate limits must be 0 or more, MaxAttempts 1 or more.")
            .Validate(o => string.IsNullOrWhiteSpace(o.BounceAddress) || VerpAddress.IsValid(o.BounceAddress), "Delivery:BounceAddress must be a plain address like bounces@news.example, without a '+'.")
            .Validate(o => o.Relays.All(r => !string.IsNullOrWhiteSpace(r.Host) && r.Port is > 0 and < 65536), "Each Delivery:Relays entry needs a Host and a Port.")
            .ValidateOnStart();
        services.AddSingleton<DeliverySignal>();
        services.AddSingleton<DeliveryCounts>();
        services.AddSingleton<VerpKey>();
        services.AddSingleton<AudienceWriter>();
        services.AddSingleton<DeliveryEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryEngine>());
    }
}
