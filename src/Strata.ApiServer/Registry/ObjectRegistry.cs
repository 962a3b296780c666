using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Selection;
using Strata.ApiServer.Storage;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Registry;

public sealed record ListOptions(LabelSelector Labels, FieldSelector Fields, int Limit = 0, string? Continue = null)
{
    public static ListOptions Everything { get; } = new(LabelSelector.Everything, FieldSelector.Everything);
}

public sealed record ListResult(IReadOnlyList<JsonObject> Items, long Revision, string? Continue);

public sealed record DeleteOptions(long? GracePeriodSeconds = null, string? PropagationPolicy = null, string? PreconditionUid = null, string? PreconditionResourceVersion = null, bool DryRun = false)
{
    public static DeleteOptions Default { get; } = new();
}

/// <summary>The outcome of a delete: the object as it was removed, or as it stays while finalizers or grace run.</summary>
public sealed record DeleteResult(JsonObject Object, bool Deleted);

/// <summary>
/// The generic registry (k8s.io/apiserver/pkg/registry/generic/registry/store.go) over <see cref="IObjectStore"/>:
/// object metadata on create and update, optimistic concurrency, graceful deletion and finalizers,
/// selectors and paging. It knows nothing of HTTP, so controllers can use it in-process.
/// </summary>
public sealed class ObjectRegistry(IObjectStore store, ResourceCatalog catalog, TimeProvider time)
{
    private const int MaxConflictRetries = 16;
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public IObjectStore Store => store;

    public ResourceCatalog Catalog => catalog;

    public TimeProvider Time => time;

    /// <summary>Validation and defaulting for a kind; set by the host (the pure validators live in Validation/).</summary>
    public Func<ResourceInfo, JsonObject, JsonObject?, IReadOnlyList<FieldError>>? Validate { get; set; }

    public Action<ResourceInfo, JsonObject>? Default { get; set; }

    /// <summary>Admissions that reserve values (Service IPs and ports) before an object is stored.</summary>
    public List<IAllocatingAdmission> Admissions { get; } = [];

    public async Task<JsonObject> GetAsync(ResourceInfo resource, string? ns, string name, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(resource.Key(ns, name), cancellationToken) ?? throw ApiException.NotFound(resource, name);
        return stored.Value;
    }

    public async Task<ListResult> ListAsync(ResourceInfo resource, string? ns, ListOptions options, CancellationToken cancellationToken = default)
    {
        var prefix = resource.Prefix(ns);
        var (afterKey, continueRevision) = DecodeContinue(options.Continue, prefix);
        var items = new List<JsonObject>();
        long revision = 0;
        var pageSize = options.Limit > 0 ? Math.Max(options.Limit, 100) : 0;
        while (true)
        {
            var page = await store.ListAsync(prefix, afterKey, pageSize, cancellationToken);
            revision = continueRevision ?? page.Revision;
            foreach (var stored in page.Items)
            {
                afterKey = stored.Key;
                if (!Matches(stored.Value, options))
                {
                    continue;
                }

                if (options.Limit > 0 && items.Count == options.Limit)
                {
                    return new ListResult(items, revision, EncodeContinue(revision, items[^1].Name()!, prefix, resource, ns));
                }

                items.Add(stored.Value);
            }

            if (!page.More)
            {
                return new ListResult(items, revision, null);
            }
        }
    }

    public async Task<JsonObject> CreateAsync(ResourceInfo resource, string? ns, JsonObject obj, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        obj = obj.DeepClone().AsObject();
        SetTypeMeta(resource, obj);
        var metadata = obj.Metadata();
        if (resource.Namespaced)
        {
            var objectNamespace = (string?)metadata["namespace"];
            if (!string.IsNullOrEmpty(objectNamespace) && objectNamespace != ns)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            metadata["namespace"] = ns;
        }
        else
        {
            metadata.Remove("namespace");
        }

        if (!string.IsNullOrEmpty((string?)metadata["resourceVersion"]))
        {
            throw ApiException.Internal("resourceVersion should not be set on objects to be created");
        }

        var generateName = (string?)metadata["generateName"];
        var generated = string.IsNullOrEmpty((string?)metadata["name"]) && !string.IsNullOrEmpty(generateName);
        if (generated)
        {
            metadata["name"] = GenerateName(generateName!);
        }

        var now = time.GetUtcNow();
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = ObjectMeta.Timestamp(now);
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        if (resource.TracksGeneration)
        {
            metadata["generation"] = 1;
        }
        else
        {
            metadata.Remove("generation");
        }

        KindStrategy.PrepareForCreate(resource, obj, now);
        Default?.Invoke(resource, obj);
        var reservations = new List<IReservation>();
        var stored = false;
        try
        {
            foreach (var admission in Admissions.Where(a => a.Handles(resource)))
            {
                reservations.Add(await admission.BeginCreateAsync(obj, dryRun, cancellationToken));
            }

            var created = await ValidateAndCreateAsync(resource, ns, obj, dryRun, generated, generateName, cancellationToken);
            stored = !dryRun;
            return created;
        }
        finally
        {
            foreach (var reservation in reservations)
            {
                await reservation.FinishAsync(stored, CancellationToken.None);
            }
        }
    }

    private async Task<JsonObject> ValidateAndCreateAsync(ResourceInfo resource, string? ns, JsonObject obj, bool dryRun, bool generated, string? generateName, CancellationToken cancellationToken)
    {
        var metadata = obj.Metadata();
        var name = obj.Name() ?? "";
        var errors = Validate?.Invoke(resource, obj, null) ?? [];
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(resource, name, errors);
        }

        if (name.Length == 0)
        {
            throw ApiException.Invalid(resource, name, [new FieldError("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")]);
        }

        if (resource.Namespaced)
        {
            await CheckNamespaceAcceptsAsync(resource, ns!, name, cancellationToken);
        }

        if (dryRun)
        {
            return obj;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var stored = await store.CreateAsync(resource.Key(ns, obj.Name()!), obj, cancellationToken);
                if (resource is { Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition" })
                {
                    catalog.SetCustomResource(stored.Value.Name()!, stored.Value);
                }

                return stored.Value;
            }
            catch (KeyExistsException) when (generated && attempt < 8)
            {
                metadata["name"] = GenerateName(generateName!);
            }
            catch (KeyExistsException)
            {
                throw ApiException.AlreadyExists(resource, obj.Name()!);
            }
        }
    }

    /// <summary>PUT: replace the object (or its status), with the body's resourceVersion as the precondition.</summary>
    public async Task<JsonObject> UpdateAsync(ResourceInfo resource, string? ns, string name, JsonObject obj, string? subresource = null, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        obj = obj.DeepClone().AsObject();
        CheckIdentity(resource, ns, name, obj);
        var current = await store.GetAsync(resource.Key(ns, name), cancellationToken);
        if (current is null)
        {
            if (subresource is null && KindStrategy.AllowCreateOnUpdate(resource))
            {
                obj.Metadata().Remove("resourceVersion");
                return await CreateAsync(resource, ns, obj, dryRun, cancellationToken);
            }

            throw ApiException.NotFound(resource, name);
        }

        return await WriteUpdateAsync(resource, ns, name, current, obj, subresource, dryRun, cancellationToken);
    }

    /// <summary>
    /// A read-modify-write (PATCH, scale): <paramref name="change"/> gets the current object and returns the new one;
    /// it is re-run on the fresh object when another writer got in between (upstream's GuaranteedUpdate).
    /// </summary>
    public async Task<JsonObject> UpdateWithAsync(ResourceInfo resource, string? ns, string name, Func<JsonObject, JsonObject> change, string? subresource = null, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.GetAsync(resource.Key(ns, name), cancellationToken) ?? throw ApiException.NotFound(resource, name);
            var updated = change(current.Value.DeepClone().AsObject());
            CheckIdentity(resource, ns, name, updated);
            if (string.IsNullOrEmpty(updated.ResourceVersion()))
            {
                updated.Metadata()["resourceVersion"] = current.Value.ResourceVersion();
            }

            try
            {
                return await WriteUpdateAsync(resource, ns, name, current, updated, subresource, dryRun, cancellationToken);
            }
            catch (ApiException e) when (e.Reason == "Conflict" && attempt < MaxConflictRetries
                && updated.ResourceVersion() == current.Value.ResourceVersion())
            {
                // The object moved under us (not a stale precondition from the caller): patch the new one.
            }
        }
    }

    public async Task<DeleteResult> DeleteAsync(ResourceInfo resource, string? ns, string name, DeleteOptions options, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.GetAsync(resource.Key(ns, name), cancellationToken) ?? throw ApiException.NotFound(resource, name);
            var obj = current.Value;
            if (options.PreconditionUid is { } uid && uid != obj.Uid())
            {
                throw ApiException.Conflict(resource, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {obj.Uid()}");
            }

            if (options.PreconditionResourceVersion is { } rv && rv != obj.ResourceVersion())
            {
                throw ApiException.Conflict(resource, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {obj.ResourceVersion()}");
            }

            var updated = obj.DeepClone().AsObject();
            var finalizers = updated.Finalizers();
            switch (options.PropagationPolicy)
            {
                case "Orphan":
                    finalizers.Remove("foregroundDeletion");
                    AddOnce(finalizers, "orphan");
                    break;
                case "Foreground":
                    finalizers.Remove("orphan");
                    AddOnce(finalizers, "foregroundDeletion");
                    break;
                case "Background":
                    finalizers.Remove("orphan");
                    finalizers.Remove("foregroundDeletion");
                    break;
                case null:
                    break;
                default:
                    throw ApiException.Invalid(resource, name, [new FieldError("FieldValueNotSupported", "propagationPolicy",
                        $"Unsupported value: \"{options.PropagationPolicy}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")]);
            }

            if (resource is { Group: "", Kind: "Namespace" })
            {
                // The namespace controller empties it and then drops spec.finalizers through /finalize.
                var specFinalizers = updated["spec"]?["finalizers"]?.AsArray().Count ?? 0;
                if (specFinalizers > 0 || finalizers.Count > 0)
                {
                    updated["status"] = new JsonObject { ["phase"] = "Terminating" };
                    return new DeleteResult(await MarkDeletingAsync(current, updated, finalizers, 0, options.DryRun, cancellationToken), false);
                }
            }

            var grace = GracePeriod(resource, obj, options);
            if (finalizers.Count > 0 || grace > 0)
            {
                try
                {
                    return new DeleteResult(await MarkDeletingAsync(current, updated, finalizers, grace, options.DryRun, cancellationToken), false);
                }
                catch (RevisionConflictException) when (attempt < MaxConflictRetries)
                {
                    continue;
                }
            }

            if (options.DryRun)
            {
                return new DeleteResult(obj, true);
            }

            try
            {
                var deleted = await store.DeleteAsync(current.Key, current.ModRevision, cancellationToken);
                await OnDeletedAsync(resource, deleted.Value, cancellationToken);
                return new DeleteResult(deleted.Value, true);
            }
            catch (RevisionConflictException) when (attempt < MaxConflictRetries)
            {
            }
        }
    }

    public async Task<IReadOnlyList<JsonObject>> DeleteCollectionAsync(ResourceInfo resource, string? ns, ListOptions list, DeleteOptions options, CancellationToken cancellationToken = default)
    {
        var items = (await ListAsync(resource, ns, list with { Limit = 0, Continue = null }, cancellationToken)).Items;
        var results = new List<JsonObject>();
        foreach (var item in items)
        {
            try
            {
                results.Add((await DeleteAsync(resource, item.Namespace(), item.Name()!, options, cancellationToken)).Object);
            }
            catch (ApiException e) when (e.Code == 404)
            {
            }
        }

        return results;
    }

    /// <summary>Serves the CRDs already stored (at start-up).</summary>
    public async Task LoadCustomResourcesAsync(CancellationToken cancellationToken = default)
    {
        var crds = catalog.Get("apiextensions.k8s.io", "customresourcedefinitions");
        foreach (var crd in (await ListAsync(crds, null, ListOptions.Everything, cancellationToken)).Items)
        {
            catalog.SetCustomResource(crd.Name()!, crd);
        }
    }

    public static bool Matches(JsonObject obj, ListOptions options) =>
        options.Labels.Matches(obj.Labels()) && options.Fields.Matches(obj);

    private async Task<JsonObject> WriteUpdateAsync(ResourceInfo resource, string? ns, string name, StoredObject current, JsonObject updated, string? subresource, bool dryRun, CancellationToken cancellationToken)
    {
        var old = current.Value;
        var expected = ObjectMeta.ParseRevision(updated.ResourceVersion(), "resourceVersion");
        if (expected != 0 && expected != current.ModRevision)
        {
            throw ApiException.Modified(resource, name);
        }

        SetTypeMeta(resource, updated);
        updated = KindStrategy.PrepareForUpdate(resource, updated, old, subresource);
        var metadata = updated.Metadata();
        var oldMetadata = old.Metadata();
        foreach (var field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace" })
        {
            if (oldMetadata[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
            else
            {
                metadata.Remove(field);
            }
        }

        if (resource.TracksGeneration && subresource != "status" && KindStrategy.SpecChanged(updated, old))
        {
            metadata["generation"] = ((long?)oldMetadata["generation"] ?? 0) + 1;
        }

        if (subresource is null)
        {
            Default?.Invoke(resource, updated);
        }

        // Validation sees the stored version, as the store sets it before calling the strategy.
        metadata["resourceVersion"] = oldMetadata["resourceVersion"]?.DeepClone();
        var reservations = new List<IReservation>();
        var stored = false;
        try
        {
            if (subresource is null)
            {
                foreach (var admission in Admissions.Where(a => a.Handles(resource)))
                {
                    reservations.Add(await admission.BeginUpdateAsync(updated, old, dryRun, cancellationToken));
                }
            }

            // pods/binding writes spec.nodeName below the pod update rules, as BindingREST's GuaranteedUpdate does.
            var result = await ValidateAndUpdateAsync(resource, name, current, updated, dryRun, cancellationToken, validate: subresource != "binding");
            stored = !dryRun && !ReferenceEquals(result, old);
            return result;
        }
        finally
        {
            foreach (var reservation in reservations)
            {
                await reservation.FinishAsync(stored, CancellationToken.None);
            }
        }
    }

    private async Task<JsonObject> ValidateAndUpdateAsync(ResourceInfo resource, string name, StoredObject current, JsonObject updated, bool dryRun, CancellationToken cancellationToken, bool validate = true)
    {
        var old = current.Value;
        var errors = (validate ? Validate?.Invoke(resource, updated, old) : null) ?? [];
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(resource, name, errors);
        }

        if (old.IsDeleting() && updated.Finalizers().Count == 0 && !HasPendingGrace(resource, old) && !HasSpecFinalizers(resource, updated))
        {
            // The last finalizer is gone from an object being deleted: delete it now (store.go's shouldDeleteDuringUpdate).
            if (dryRun)
            {
                return updated;
            }

            try
            {
                var deleted = await store.DeleteAsync(current.Key, current.ModRevision, cancellationToken);
                await OnDeletedAsync(resource, deleted.Value, cancellationToken);
                return deleted.Value;
            }
            catch (RevisionConflictException)
            {
                throw ApiException.Modified(resource, name);
            }
        }

        if (JsonNode.DeepEquals(updated, old))
        {
            return old; // A no-op write is not stored and bumps nothing, as etcd3's GuaranteedUpdate.
        }

        if (dryRun)
        {
            return updated;
        }

        try
        {
            var stored = await store.UpdateAsync(current.Key, updated, current.ModRevision, cancellationToken);
            if (resource is { Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition" })
            {
                catalog.SetCustomResource(name, stored.Value);
            }

            return stored.Value;
        }
        catch (RevisionConflictException)
        {
            throw ApiException.Modified(resource, name);
        }
    }

    private async Task<JsonObject> MarkDeletingAsync(StoredObject current, JsonObject updated, List<string> finalizers, long grace, bool dryRun, CancellationToken cancellationToken)
    {
        var metadata = updated.Metadata();
        if (metadata["deletionTimestamp"] is null)
        {
            metadata["deletionTimestamp"] = ObjectMeta.Timestamp(time.GetUtcNow().AddSeconds(grace));
            metadata["deletionGracePeriodSeconds"] = grace;
        }
        else if (grace < ((long?)metadata["deletionGracePeriodSeconds"] ?? long.MaxValue))
        {
            // A shorter grace period shortens a running one (pod "kubectl delete --grace-period").
            metadata["deletionTimestamp"] = ObjectMeta.Timestamp(time.GetUtcNow().AddSeconds(grace));
            metadata["deletionGracePeriodSeconds"] = grace;
        }

        updated.SetFinalizers(finalizers);
        if (JsonNode.DeepEquals(updated, current.Value) || dryRun)
        {
            return dryRun ? updated : current.Value;
        }

        return (await store.UpdateAsync(current.Key, updated, current.ModRevision, cancellationToken)).Value;
    }

    /// <summary>Pods bound to a node are deleted gracefully (the kubelet finishes them); everything else at once.</summary>
    private static long GracePeriod(ResourceInfo resource, JsonObject obj, DeleteOptions options)
    {
        if (resource is not { Group: "", Kind: "Pod" } || resource.IsCustom)
        {
            return 0;
        }

        // pkg/registry/core/pod/strategy.go CheckGracefulDelete: unscheduled or finished pods go at once.
        var phase = (string?)obj["status"]?["phase"];
        if (string.IsNullOrEmpty((string?)obj["spec"]?["nodeName"]) || phase is "Succeeded" or "Failed")
        {
            return 0;
        }

        return options.GracePeriodSeconds ?? (long?)obj["spec"]?["terminationGracePeriodSeconds"] ?? 30;
    }

    /// <summary>A Namespace also waits for its <c>spec.finalizers</c>, which the namespace controller clears through /finalize.</summary>
    private static bool HasSpecFinalizers(ResourceInfo resource, JsonObject obj) =>
        resource is { Group: "", Kind: "Namespace", IsCustom: false } && (obj["spec"]?["finalizers"] as JsonArray)?.Count > 0;

    private static bool HasPendingGrace(ResourceInfo resource, JsonObject obj) =>
        resource is { Group: "", Kind: "Pod" } && ((long?)obj["metadata"]?["deletionGracePeriodSeconds"] ?? 0) > 0;

    private async Task OnDeletedAsync(ResourceInfo resource, JsonObject deleted, CancellationToken cancellationToken)
    {
        foreach (var admission in Admissions.Where(a => a.Handles(resource)))
        {
            await admission.ReleaseAsync(deleted, CancellationToken.None);
        }

        if (resource is not { Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition" })
        {
            return;
        }

        // apiextensions-apiserver's customresourcecleanup finalizer: the custom resources go with their definition.
        var served = ResourceCatalog.FromDefinition(deleted);
        catalog.SetCustomResource(deleted.Name()!, null);
        foreach (var prefix in served.Select(r => r.StoragePrefix).Distinct())
        {
            foreach (var item in (await store.ListAsync(prefix, null, 0, cancellationToken)).Items)
            {
                try
                {
                    await store.DeleteAsync(item.Key, null, cancellationToken);
                }
                catch (KeyNotFoundInStoreException)
                {
                }
            }
        }
    }

    private async Task CheckNamespaceAcceptsAsync(ResourceInfo resource, string ns, string name, CancellationToken cancellationToken)
    {
        var namespaces = catalog.Get("", "namespaces");
        var stored = await store.GetAsync(namespaces.Key(null, ns), cancellationToken) ?? throw ApiException.NotFound(namespaces, ns);
        if (stored.Value.IsDeleting())
        {
            throw ApiException.Forbidden(resource, name, $"unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    private static void CheckIdentity(ResourceInfo resource, string? ns, string name, JsonObject obj)
    {
        var objectName = obj.Name();
        if (string.IsNullOrEmpty(objectName))
        {
            obj.Metadata()["name"] = name;
        }
        else if (objectName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({objectName}) does not match the name on the URL ({name})");
        }

        if (resource.Namespaced)
        {
            var objectNamespace = obj.Namespace();
            if (!string.IsNullOrEmpty(objectNamespace) && objectNamespace != ns)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            obj.Metadata()["namespace"] = ns;
        }
    }

    private static void SetTypeMeta(ResourceInfo resource, JsonObject obj)
    {
        var apiVersion = (string?)obj["apiVersion"];
        var kind = (string?)obj["kind"];
        if (!string.IsNullOrEmpty(kind) && kind != resource.Kind)
        {
            throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({resource.Kind})");
        }

        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != resource.GroupVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.GroupVersion})");
        }

        // apiVersion and kind lead, as the Go encoder writes TypeMeta first.
        var rest = obj.Where(p => p.Key is not ("apiVersion" or "kind")).Select(p => (p.Key, Value: p.Value?.DeepClone())).ToList();
        obj.Clear();
        obj["apiVersion"] = resource.GroupVersion;
        obj["kind"] = resource.Kind;
        foreach (var (key, value) in rest)
        {
            obj[key] = value;
        }
    }

    private static void AddOnce(List<string> list, string value)
    {
        if (!list.Contains(value))
        {
            list.Add(value);
        }
    }

    private static string GenerateName(string prefix)
    {
        // names.SimpleNameGenerator: the prefix (cut to leave room) plus five characters from a vowel-free alphabet.
        if (prefix.Length > 58)
        {
            prefix = prefix[..58];
        }

        var suffix = new char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = GenerateNameAlphabet[RandomNumberGenerator.GetInt32(GenerateNameAlphabet.Length)];
        }

        return prefix + new string(suffix);
    }

    /// <summary>The continue token: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"&lt;key after prefix&gt;"}, as the etcd3 store encodes it.</summary>
    private static string EncodeContinue(long revision, string lastName, string prefix, ResourceInfo resource, string? ns)
    {
        var key = resource.Key(ns, lastName)[prefix.Length..];
        var json = JsonSerializer.Serialize(new ContinueToken("meta.k8s.io/v1", revision, key + "\0"), ContinueJson.Default.ContinueToken);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
    }

    private static (string? AfterKey, long? Revision) DecodeContinue(string? token, string prefix)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (null, null);
        }

        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var decoded = JsonSerializer.Deserialize(Convert.FromBase64String(base64), ContinueJson.Default.ContinueToken)!;
            if (decoded.V != "meta.k8s.io/v1" || decoded.Start.Contains("..", StringComparison.Ordinal))
            {
                throw new FormatException();
            }

            return (prefix + decoded.Start.TrimEnd('\0'), decoded.Rv);
        }
        catch (Exception e) when (e is FormatException or JsonException or NullReferenceException)
        {
            throw ApiException.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
    }
}

internal sealed record ContinueToken(
    [property: System.Text.Json.Serialization.JsonPropertyName("v")] string V,
    [property: System.Text.Json.Serialization.JsonPropertyName("rv")] long Rv,
    [property: System.Text.Json.Serialization.JsonPropertyName("start")] string Start);

[System.Text.Json.Serialization.JsonSerializable(typeof(ContinueToken))]
internal sealed partial class ContinueJson : System.Text.Json.Serialization.JsonSerializerContext;
