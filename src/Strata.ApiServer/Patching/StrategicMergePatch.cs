using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Patching;

/// <summary>
/// Strategic merge patch (<c>application/strategic-merge-patch+json</c>) with the semantics of
/// k8s.io/apimachinery/pkg/util/strategicpatch (v0.32) as kube-apiserver applies it: maps merge,
/// <c>null</c> deletes, lists with <c>patchStrategy: merge</c> merge by their
/// <c>patchMergeKey</c> (or as sets of primitives), other lists are replaced, <c>replace</c>
/// replaces, <c>retainKeys</c> clears what <c>$retainKeys</c> does not list, and the directives
/// <c>$patch: replace|delete|merge</c>, <c>$deleteFromPrimitiveList/&lt;field&gt;</c>,
/// <c>$setElementOrder/&lt;field&gt;</c> and <c>$retainKeys</c>.
/// </summary>
public static class StrategicMergePatch
{
    /// <summary>kube-apiserver's 415 text for a patch type a resource does not accept (custom resources).</summary>
    public const string UnsupportedMediaTypeMessage =
        "the body of the request was in an unknown format - accepted media types include: "
        + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

    internal const string ErrBadJsonDoc = "invalid JSON document";
    internal const string ErrNoListOfLists = "lists of lists are not supported";
    internal const string ErrBadPatchFormatForPrimitiveList = "invalid patch format of primitive list";
    internal const string ErrBadPatchFormatForRetainKeys = "invalid patch format of retainKeys";
    internal const string ErrBadPatchFormatForSetElementOrderList = "invalid patch format of setElementOrder list";

    private const string DirectiveMarker = "$patch";
    private const string DeleteDirective = "delete";
    private const string ReplaceDirective = "replace";
    private const string MergeDirective = "merge";
    private const string RetainKeysStrategy = "retainKeys";
    private const string RetainKeysDirective = "$retainKeys";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";
    private const string SetElementOrderPrefix = "$setElementOrder";

    /// <summary>
    /// Applies <paramref name="patch"/> to a copy of <paramref name="original"/>, an object of
    /// <paramref name="definitionName"/> (e.g. <c>io.k8s.api.apps.v1.Deployment</c>; see
    /// <see cref="PatchSchema.TryGetDefinitionName"/>). Directive keys left in the result, which
    /// upstream drops when it decodes the result into the typed object, are removed.
    /// </summary>
    /// <exception cref="StrategicMergePatchException">
    /// 415 when the definition is unknown (custom resources); otherwise upstream's message with
    /// the status kube-apiserver answers (400, 422, or 500 for errors it passes through).
    /// </exception>
    public static JsonNode Apply(JsonNode original, JsonNode patch, PatchSchema schema, string definitionName)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(definitionName);
        if (!schema.IsKnown(definitionName))
        {
            throw new StrategicMergePatchException(UnsupportedMediaTypeMessage, 415);
        }

        if (original is not JsonObject originalObject || patch is not JsonObject patchObject)
        {
            throw new StrategicMergePatchException(ErrBadJsonDoc, 400);
        }

        var result = MergeMap(
            (JsonObject)originalObject.DeepClone(),
            (JsonObject)patchObject.DeepClone(),
            schema.Root(definitionName));
        StripDirectives(result);
        return result;
    }

    private static StrategicMergePatchException BadRequest(string message) => new(message, 400);

    private static StrategicMergePatchException Unprocessable(string message) => new(message, 422);

    private static StrategicMergePatchException Internal(string message) => new(message, 500);

    private static StrategicMergePatchException NoMergeKey(JsonObject map, string key) =>
        Internal($"map: {GoFormat.Value(map)} does not contain declared merge key: {key}");

    private static StrategicMergePatchException BadArgType(string expected, JsonNode? actual) =>
        Internal($"expected a {expected}, but received a {GoFormat.TypeName(actual)}");

    private const string MapType = "map[string]interface {}";
    private const string SliceType = "[]interface {}";

    private static StrategicMergePatchException BadPatchType(JsonNode? directive, JsonObject map) =>
        Internal($"unknown patch type: {FormatS(directive)} in map: {GoFormat.Value(map)}");

    // Go's %s of a decoded value: strings bare, others as %!s(type=value).
    private static string FormatS(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : value is null ? "%!s(<nil>)" : $"%!s({GoFormat.TypeName(value)}={GoFormat.Value(value)})";

    private static bool IsString(JsonNode? node, string text) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == text;

    private static JsonNode? Take(JsonNode? node) => node?.Parent is null ? node : node.DeepClone();

    private static List<JsonNode?> Items(JsonArray array)
    {
        var items = array.ToList();
        array.Clear();
        return items;
    }

    private static JsonArray ToArray(List<JsonNode?> items) => new(items.Select(Take).ToArray());

    // mergeMap
    private static JsonObject MergeMap(JsonObject original, JsonObject patch, SchemaCursor schema)
    {
        if (patch.TryGetPropertyValue(DirectiveMarker, out var directive))
        {
            if (IsString(directive, ReplaceDirective))
            {
                patch.Remove(DirectiveMarker);
                return patch;
            }

            if (IsString(directive, DeleteDirective))
            {
                return [];
            }

            throw BadPatchType(directive, patch);
        }

        ApplyRetainKeysDirective(original, patch);
        MergePatchIntoOriginal(original, patch, schema);

        foreach (var (rawKey, patchValue) in patch.ToList())
        {
            var key = rawKey;
            var isDeleteList = false;
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                key = ExtractKey(key, DeleteFromPrimitiveListPrefix);
                isDeleteList = true;
            }

            if (patchValue is null)
            {
                original.Remove(key);
                continue;
            }

            if (!original.TryGetPropertyValue(key, out var originalValue)
                || GoType(originalValue) != GoType(patchValue))
            {
                if (!isDeleteList)
                {
                    SetOrRemove(original, key, patchValue, discardNulls: true);
                }

                continue;
            }

            switch (originalValue)
            {
                case JsonObject originalMap:
                {
                    var (sub, meta) = schema.LookupForStruct(key);
                    var strategy = ExtractRetainKeysPatchStrategy(meta.Strategies);
                    var patchMap = (JsonObject)Take(patchValue)!;
                    original.Remove(key);
                    original[key] = strategy != ReplaceDirective ? Take(MergeMap(originalMap, patchMap, sub)) : patchMap;
                    break;
                }

                case JsonArray originalList:
                {
                    var (sub, meta) = schema.LookupForSlice(key);
                    var strategy = ExtractRetainKeysPatchStrategy(meta.Strategies);
                    var patchList = (JsonArray)Take(patchValue)!;
                    original.Remove(key);
                    original[key] = MergeSliceHandler(originalList, patchList, sub, strategy, meta.MergeKey, isDeleteList);
                    break;
                }

                default:
                    SetOrRemove(original, key, patchValue, discardNulls: false);
                    break;
            }
        }

        return original;
    }

    // Go's "same dynamic type" check: maps, slices, and scalars by kind (int64 and float64 differ).
    private static string GoType(JsonNode? node) => JsonValues.GoType(node);

    private static void SetOrRemove(JsonObject original, string key, JsonNode patchValue, bool discardNulls)
    {
        var value = Take(patchValue);
        if (discardNulls)
        {
            DiscardNullValues(value);
        }

        var (cleaned, keep) = RemoveDirectives(value);
        if (keep)
        {
            original[key] = Take(cleaned);
        }
        else
        {
            original.Remove(key);
        }
    }

    private static void DiscardNullValues(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is null)
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        DiscardNullValues(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    DiscardNullValues(item);
                }

                break;
        }
    }

    // removeDirectives: an object with $patch disappears; nested ones are pruned.
    private static (JsonNode? Value, bool Keep) RemoveDirectives(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj.ContainsKey(DirectiveMarker))
                {
                    return (null, false);
                }

                foreach (var (key, value) in obj.ToList())
                {
                    var (cleaned, keep) = RemoveDirectives(value);
                    if (!keep)
                    {
                        obj.Remove(key);
                    }
                    else if (!ReferenceEquals(cleaned, value))
                    {
                        obj[key] = Take(cleaned);
                    }
                }

                return (obj, true);
            case JsonArray array:
                var kept = new List<JsonNode?>();
                foreach (var item in Items(array))
                {
                    var (cleaned, keep) = RemoveDirectives(item);
                    if (keep)
                    {
                        kept.Add(cleaned);
                    }
                }

                return (ToArray(kept), true);
            default:
                return (node, true);
        }
    }

    private static string ExtractKey(string key, string prefix)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || key[..slash] != prefix)
        {
            throw prefix switch
            {
                DeleteFromPrimitiveListPrefix => BadRequest(ErrBadPatchFormatForPrimitiveList),
                SetElementOrderPrefix => BadRequest(ErrBadPatchFormatForSetElementOrderList),
                _ => Internal($"fail to find unknown prefix \"{prefix}\" in {key}\n"),
            };
        }

        return key[(slash + 1)..];
    }

    private static string ExtractRetainKeysPatchStrategy(IReadOnlyList<string> strategies)
    {
        switch (strategies.Count)
        {
            case 0:
                return string.Empty;
            case 1:
                return strategies[0] == RetainKeysStrategy ? string.Empty : strategies[0];
            case 2 when strategies[0] == RetainKeysStrategy:
                return strategies[1];
            case 2 when strategies[1] == RetainKeysStrategy:
                return strategies[0];
            default:
                throw Internal($"unexpected patch strategy: [{string.Join(' ', strategies)}]");
        }
    }

    // applyRetainKeysDirective
    private static void ApplyRetainKeysDirective(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var retainKeys))
        {
            return;
        }

        patch.Remove(RetainKeysDirective);
        if (retainKeys is not JsonArray list)
        {
            throw BadRequest(ErrBadPatchFormatForRetainKeys);
        }

        var retained = list.ToList();
        bool Retained(string key) => retained.Any(v => IsString(v, key));
        foreach (var (key, value) in patch)
        {
            if (value is null
                || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal)
                || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!Retained(key))
            {
                throw BadRequest(ErrBadPatchFormatForRetainKeys);
            }
        }

        foreach (var key in original.Select(p => p.Key).ToList())
        {
            if (!Retained(key))
            {
                original.Remove(key);
            }
        }
    }

    // mergePatchIntoOriginal: every $setElementOrder/<field> with its list.
    private static void MergePatchIntoOriginal(JsonObject original, JsonObject patch, SchemaCursor schema)
    {
        foreach (var (key, orderValue) in patch.ToList())
        {
            if (!key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            patch.Remove(key);
            if (orderValue is not JsonArray orderArray)
            {
                throw BadArgType(SliceType, orderValue);
            }

            var order = orderArray.ToList();
            var originalKey = ExtractKey(key, SetElementOrderPrefix);
            var foundOriginal = original.TryGetPropertyValue(originalKey, out var originalNode);
            var foundPatch = patch.TryGetPropertyValue(originalKey, out var patchNode);
            List<JsonNode?> originalItems = [];
            List<JsonNode?> patchItemsRaw = [];
            if (foundOriginal)
            {
                if (originalNode is not JsonArray originalArray)
                {
                    throw BadArgType(SliceType, originalNode);
                }

                originalItems = originalArray.ToList();
            }

            if (foundPatch)
            {
                if (patchNode is not JsonArray patchArray)
                {
                    throw BadArgType(SliceType, patchNode);
                }

                patchItemsRaw = patchArray.ToList();
            }

            var (sub, meta) = schema.LookupForSlice(originalKey);
            var strategy = ExtractRetainKeysPatchStrategy(meta.Strategies);
            ValidatePatchWithSetOrderList(patchItemsRaw, order, meta.MergeKey);

            JsonArray merged;
            if (foundOriginal && !foundPatch)
            {
                merged = (JsonArray)originalNode!;
            }
            else if (!foundOriginal && foundPatch)
            {
                merged = (JsonArray)RemoveDirectives(Take(patchNode)).Value!;
            }
            else if (foundOriginal && foundPatch)
            {
                // Element kinds are taken before merging; the lists are consumed below.
                merged = MergeSliceHandler(
                    (JsonArray)Take(originalNode)!, (JsonArray)Take(patchNode)!, sub, strategy, meta.MergeKey, isDeleteList: false);
            }
            else
            {
                continue;
            }

            var mergedItems = Items(merged.Parent is null ? merged : (JsonArray)merged.DeepClone());
            List<JsonNode?> inOrder;
            List<JsonNode?> serverOnly;
            if (meta.MergeKey.Length == 0)
            {
                (inOrder, serverOnly) = PartitionPrimitives(mergedItems, order);
            }
            else
            {
                (inOrder, serverOnly) = PartitionMaps(mergedItems, order, meta.MergeKey);
            }

            var kind = SliceElementType(originalItems, patchItemsRaw);
            var both = NormalizeElementOrder(inOrder, serverOnly, order, originalItems, meta.MergeKey, kind);
            original.Remove(originalKey);
            original[originalKey] = ToArray(both);
            patch.Remove(originalKey);
        }
    }

    private static void ValidatePatchWithSetOrderList(List<JsonNode?> patchList, List<JsonNode?> setOrderList, string mergeKey)
    {
        if (setOrderList.Count == 0 || patchList.Count == 0)
        {
            return;
        }

        var nonDelete = mergeKey.Length > 0 ? ExtractToDeleteItems(patchList).NonDelete : patchList;
        int patchIndex = 0, setOrderIndex = 0;
        while (patchIndex < nonDelete.Count && setOrderIndex < setOrderList.Count)
        {
            if (nonDelete[patchIndex] is JsonObject withDirective && withDirective.ContainsKey(DirectiveMarker))
            {
                patchIndex++;
                continue;
            }

            if (MergeKeyValueEqual(nonDelete[patchIndex], setOrderList[setOrderIndex], mergeKey))
            {
                patchIndex++;
            }

            setOrderIndex++;
        }

        if (patchIndex < nonDelete.Count && setOrderIndex >= setOrderList.Count)
        {
            throw Internal(
                $"The order in patch list:\n{GoFormat.List(patchList)}\n doesn't match {SetElementOrderPrefix} list:\n{GoFormat.List(setOrderList)}\n");
        }
    }

    private static bool MergeKeyValueEqual(JsonNode? left, JsonNode? right, string mergeKey)
    {
        if (mergeKey.Length == 0)
        {
            return JsonValues.ScalarEquals(left, right);
        }

        if (left is not JsonObject leftMap)
        {
            throw BadArgType(MapType, left);
        }

        if (right is not JsonObject rightMap)
        {
            throw BadArgType(MapType, right);
        }

        if (!leftMap.TryGetPropertyValue(mergeKey, out var leftKey))
        {
            throw NoMergeKey(leftMap, mergeKey);
        }

        if (!rightMap.TryGetPropertyValue(mergeKey, out var rightKey))
        {
            throw NoMergeKey(rightMap, mergeKey);
        }

        return JsonValues.ScalarEquals(leftKey, rightKey);
    }

    private static JsonArray MergeSliceHandler(
        JsonArray original, JsonArray patch, SchemaCursor schema, string strategy, string mergeKey, bool isDeleteList)
    {
        if (strategy == MergeDirective || isDeleteList)
        {
            var originalItems = Items(original);
            var patchItems = Items(patch);
            return ToArray(MergeSlice(originalItems, patchItems, schema, mergeKey, isDeleteList));
        }

        return patch;
    }

    private enum ElementKind
    {
        Map,
        Other,
    }

    // sliceElementType: all elements of one Go type, no lists of lists.
    private static ElementKind SliceElementType(params List<JsonNode?>[] slices)
    {
        string? previous = null;
        foreach (var slice in slices)
        {
            foreach (var item in slice)
            {
                var current = GoType(item);
                if (previous is null)
                {
                    previous = current;
                    if (item is JsonArray)
                    {
                        throw Unprocessable(ErrNoListOfLists);
                    }
                }
                else if (previous != current)
                {
                    throw Internal(
                        $"list element types are not identical: [{string.Join(' ', slices.Select(GoFormat.List))}]");
                }
            }
        }

        if (previous is null)
        {
            throw Internal("no elements in any of the given slices");
        }

        return previous == MapType ? ElementKind.Map : ElementKind.Other;
    }

    private static List<JsonNode?> MergeSlice(
        List<JsonNode?> original, List<JsonNode?> patch, SchemaCursor schema, string mergeKey, bool isDeleteList)
    {
        if (original.Count == 0 && patch.Count == 0)
        {
            return original;
        }

        var kind = SliceElementType(original, patch);
        List<JsonNode?> merged;
        if (kind != ElementKind.Map)
        {
            if (isDeleteList)
            {
                return original.Where(v => !patch.Any(d => JsonValues.ScalarEquals(v, d))).ToList();
            }

            merged = DeduplicateScalars([.. original, .. patch]);
        }
        else
        {
            if (mergeKey.Length == 0)
            {
                throw Internal($"cannot merge lists without merge key for {schema.Name}");
            }

            (original, patch) = MergeSliceWithSpecialElements(original, patch, mergeKey);
            merged = MergeSliceWithoutSpecialElements(original, patch, mergeKey, schema);
        }

        List<JsonNode?> patchItems, serverOnly;
        if (mergeKey.Length == 0)
        {
            (patchItems, serverOnly) = PartitionPrimitives(merged, patch);
        }
        else
        {
            (patchItems, serverOnly) = PartitionMaps(merged, patch, mergeKey);
        }

        return NormalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind);
    }

    // deduplicateScalars: the later duplicate is overwritten by the last element.
    private static List<JsonNode?> DeduplicateScalars(List<JsonNode?> s)
    {
        var length = s.Count - 1;
        for (var i = 0; i < length; i++)
        {
            for (var j = i + 1; j <= length; j++)
            {
                if (JsonValues.ScalarEquals(s[i], s[j]))
                {
                    s[j] = s[length];
                    s.RemoveAt(length);
                    length--;
                    j--;
                }
            }
        }

        return s;
    }

    private static (List<JsonNode?> Original, List<JsonNode?> Patch) MergeSliceWithSpecialElements(
        List<JsonNode?> original, List<JsonNode?> patch, string mergeKey)
    {
        var withoutSpecial = new List<JsonNode?>();
        var replace = false;
        foreach (var item in patch)
        {
            var map = (JsonObject)item!;
            if (!map.TryGetPropertyValue(DirectiveMarker, out var directive))
            {
                withoutSpecial.Add(item);
                continue;
            }

            if (IsString(directive, DeleteDirective))
            {
                if (!map.TryGetPropertyValue(mergeKey, out var mergeValue))
                {
                    throw NoMergeKey(map, mergeKey);
                }

                while (true)
                {
                    var index = FindMapInSlice(original, mergeKey, mergeValue);
                    if (index < 0)
                    {
                        break;
                    }

                    original.RemoveAt(index);
                }
            }
            else if (IsString(directive, ReplaceDirective))
            {
                replace = true;
            }
            else if (IsString(directive, MergeDirective))
            {
                throw Internal("merging lists cannot yet be specified in the patch");
            }
            else
            {
                throw BadPatchType(directive, map);
            }
        }

        return replace ? (withoutSpecial, []) : (original, withoutSpecial);
    }

    private static List<JsonNode?> MergeSliceWithoutSpecialElements(
        List<JsonNode?> original, List<JsonNode?> patch, string mergeKey, SchemaCursor schema)
    {
        var result = new List<JsonNode?>(original);
        foreach (var item in patch)
        {
            var map = (JsonObject)item!;
            if (!map.TryGetPropertyValue(mergeKey, out var mergeValue))
            {
                throw NoMergeKey(map, mergeKey);
            }

            var index = FindMapInSlice(result, mergeKey, mergeValue);
            if (index >= 0)
            {
                result[index] = MergeMap((JsonObject)result[index]!, map, schema);
            }
            else
            {
                result.Add(item);
            }
        }

        return result;
    }

    // findMapInSliceBasedOnKeyValue
    private static int FindMapInSlice(List<JsonNode?> list, string key, JsonNode? value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject map)
            {
                throw Internal($"value for key {i} is not a map");
            }

            if (map.TryGetPropertyValue(key, out var candidate) && JsonValues.ScalarEquals(candidate, value))
            {
                return i;
            }
        }

        return -1;
    }

    private static (List<JsonNode?> InPatch, List<JsonNode?> ServerOnly) PartitionPrimitives(
        List<JsonNode?> merged, List<JsonNode?> partitionBy)
    {
        var inPatch = new List<JsonNode?>();
        var serverOnly = new List<JsonNode?>();
        foreach (var item in merged)
        {
            if (partitionBy.Any(p => JsonValues.ScalarEquals(p, item)))
            {
                inPatch.Add(item);
            }
            else
            {
                serverOnly.Add(item);
            }
        }

        return (inPatch, serverOnly);
    }

    private static (List<JsonNode?> InPatch, List<JsonNode?> ServerOnly) PartitionMaps(
        List<JsonNode?> merged, List<JsonNode?> partitionBy, string mergeKey)
    {
        var inPatch = new List<JsonNode?>();
        var serverOnly = new List<JsonNode?>();
        foreach (var item in merged)
        {
            if (item is not JsonObject map)
            {
                throw BadArgType(MapType, item);
            }

            if (!map.TryGetPropertyValue(mergeKey, out var mergeValue))
            {
                throw NoMergeKey(map, mergeKey);
            }

            if (FindMapInSlice(partitionBy, mergeKey, mergeValue) >= 0)
            {
                inPatch.Add(item);
            }
            else
            {
                serverOnly.Add(item);
            }
        }

        return (inPatch, serverOnly);
    }

    // normalizeElementOrder: patch items in patch order, server-only items in server order, then
    // interleaved by the server order.
    private static List<JsonNode?> NormalizeElementOrder(
        List<JsonNode?> patch, List<JsonNode?> serverOnly, List<JsonNode?> patchOrder, List<JsonNode?> serverOrder,
        string mergeKey, ElementKind kind)
    {
        patch = NormalizeSliceOrder(patch, patchOrder, mergeKey, kind);
        serverOnly = NormalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
        return MergeSortedSlice(serverOnly, patch, serverOrder, mergeKey, kind);
    }

    private static List<JsonNode?> NormalizeSliceOrder(
        List<JsonNode?> toSort, List<JsonNode?> order, string mergeKey, ElementKind kind)
    {
        var toDelete = new List<JsonNode?>();
        if (kind == ElementKind.Map)
        {
            ValidateMergeKeyInLists(mergeKey, toSort, order);
            (toSort, toDelete) = ExtractToDeleteItems(toSort);
        }

        // sort.SliceStable with "less" = both indexed and ii < ij; every item is indexed here.
        var indexed = toSort
            .Select((item, position) => (Item: item, Position: position, Index: Index(order, item, mergeKey, kind)))
            .ToList();
        var sorted = InsertionSortStable(indexed);
        var result = sorted.Select(x => x.Item).ToList();
        result.AddRange(toDelete);
        return result;
    }

    private static List<(JsonNode? Item, int Position, int Index)> InsertionSortStable(
        List<(JsonNode? Item, int Position, int Index)> items)
    {
        // Go's less: true if either index is missing; otherwise ii < ij. Insertion sort keeps
        // equal elements stable, as sort.SliceStable does.
        static bool Less((JsonNode? Item, int Position, int Index) a, (JsonNode? Item, int Position, int Index) b) =>
            a.Index < 0 || b.Index < 0 || a.Index < b.Index;

        var result = new List<(JsonNode? Item, int Position, int Index)>(items);
        for (var i = 1; i < result.Count; i++)
        {
            for (var j = i; j > 0 && Less(result[j], result[j - 1]); j--)
            {
                (result[j], result[j - 1]) = (result[j - 1], result[j]);
            }
        }

        return result;
    }

    private static void ValidateMergeKeyInLists(string mergeKey, params List<JsonNode?>[] lists)
    {
        foreach (var list in lists)
        {
            foreach (var item in list)
            {
                if (item is not JsonObject map)
                {
                    throw BadArgType(MapType, item);
                }

                if (!map.ContainsKey(mergeKey))
                {
                    throw NoMergeKey(map, mergeKey);
                }
            }
        }
    }

    private static (List<JsonNode?> NonDelete, List<JsonNode?> ToDelete) ExtractToDeleteItems(List<JsonNode?> list)
    {
        var nonDelete = new List<JsonNode?>();
        var toDelete = new List<JsonNode?>();
        foreach (var item in list)
        {
            if (item is not JsonObject map)
            {
                throw BadArgType(MapType, item);
            }

            if (map.TryGetPropertyValue(DirectiveMarker, out var directive) && IsString(directive, DeleteDirective))
            {
                toDelete.Add(item);
            }
            else
            {
                nonDelete.Add(item);
            }
        }

        return (nonDelete, toDelete);
    }

    private static List<JsonNode?> MergeSortedSlice(
        List<JsonNode?> left, List<JsonNode?> right, List<JsonNode?> serverOrder, string mergeKey, ElementKind kind)
    {
        var size = left.Count + right.Count;
        var result = new List<JsonNode?>(size);
        int i = 0, j = 0;
        for (var k = 0; k < size; k++)
        {
            if (i >= left.Count && j < right.Count)
            {
                result.Add(right[j++]);
            }
            else if (j >= right.Count && i < left.Count)
            {
                result.Add(left[i++]);
            }
            else
            {
                var li = Index(serverOrder, left[i], mergeKey, kind);
                var ri = Index(serverOrder, right[j], mergeKey, kind);
                if (li >= 0 && ri >= 0 && li < ri)
                {
                    result.Add(left[i++]);
                }
                else
                {
                    result.Add(right[j++]);
                }
            }
        }

        return result;
    }

    private static int Index(List<JsonNode?> list, JsonNode? value, string mergeKey, ElementKind kind)
    {
        JsonNode? Key(JsonNode? item) => kind == ElementKind.Map
            ? (item is JsonObject map && map.TryGetPropertyValue(mergeKey, out var v) ? v : null)
            : item;

        var wanted = Key(value);
        for (var i = 0; i < list.Count; i++)
        {
            if (JsonValues.ScalarEquals(Key(list[i]), wanted))
            {
                return i;
            }
        }

        return -1;
    }

    // Upstream decodes the result into the typed object, which drops the directive keys that were
    // carried into new values ($patch, $retainKeys, $setElementOrder/…, $deleteFromPrimitiveList/…);
    // do the same so that they are not stored.
    private static void StripDirectives(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == DirectiveMarker
                        || key == RetainKeysDirective
                        || key.StartsWith(SetElementOrderPrefix + "/", StringComparison.Ordinal)
                        || key.StartsWith(DeleteFromPrimitiveListPrefix + "/", StringComparison.Ordinal))
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        StripDirectives(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    StripDirectives(item);
                }

                break;
        }
    }
}
