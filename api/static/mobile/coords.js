// Coordinates for Chinese map apps: the same published WGS-84 -> GCJ-02 -> BD-09 maths as geo/coords.py
// (tests compare the two), and the navigation links that open Amap, Tencent, Baidu or any geo: app.
"use strict";

const Coords = (() => {
  const A = 6378245.0;
  const EE = 0.00669342162296594323;
  const X_PI = (Math.PI * 3000.0) / 180.0;

  function outsideChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function transformLat(x, y) {
    const pi = Math.PI;
    let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(y * pi) + 40.0 * Math.sin((y / 3.0) * pi)) * 2.0) / 3.0;
    ret += ((160.0 * Math.sin((y / 12.0) * pi) + 320.0 * Math.sin((y * pi) / 30.0)) * 2.0) / 3.0;
    return ret;
  }

  function transformLon(x, y) {
    const pi = Math.PI;
    let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(x * pi) + 40.0 * Math.sin((x / 3.0) * pi)) * 2.0) / 3.0;
    ret += ((150.0 * Math.sin((x / 12.0) * pi) + 300.0 * Math.sin((x / 30.0) * pi)) * 2.0) / 3.0;
    return ret;
  }

  function toGcj02(lon, lat) {
    if (outsideChina(lon, lat)) return [lon, lat];
    let dLat = transformLat(lon - 105.0, lat - 35.0);
    let dLon = transformLon(lon - 105.0, lat - 35.0);
    const radLat = (lat / 180.0) * Math.PI;
    const magic = 1.0 - EE * Math.sin(radLat) ** 2;
    const sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / (((A * (1.0 - EE)) / (magic * sqrtMagic)) * Math.PI);
    dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [lon + dLon, lat + dLat];
  }

  function toBd09(lon, lat) {
    if (outsideChina(lon, lat)) return [lon, lat];
    const [glon, glat] = toGcj02(lon, lat);
    const z = Math.sqrt(glon * glon + glat * glat) + 0.00002 * Math.sin(glat * X_PI);
    const theta = Math.atan2(glat, glon) + 0.000003 * Math.cos(glon * X_PI);
    return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
  }

  const fix = (n) => n.toFixed(6);

  // to: {lon, lat} in WGS-84; from: the same or null; name: plain text (encoded here).
  function navigationLinks(to, from, name) {
    const label = encodeURIComponent(name || "");
    const [alon, alat] = toGcj02(to.lon, to.lat);
    const [blon, blat] = toBd09(to.lon, to.lat);
    const amap = new URLSearchParams({ sourceApplication: "ecogrid", dlat: fix(alat), dlon: fix(alon),
                                       dname: name || "", dev: "0", t: "0" });
    const tencent = new URLSearchParams({ type: "drive", to: name || "", tocoord: `${fix(alat)},${fix(alon)}`,
                                          referer: "ecogrid" });
    const baidu = new URLSearchParams({ destination: `latlng:${fix(blat)},${fix(blon)}|name:${name || ""}`,
                                        coord_type: "bd09ll", mode: "driving", src: "ecogrid" });
    if (from) {
      const [flon, flat] = toGcj02(from.lon, from.lat);
      const [fblon, fblat] = toBd09(from.lon, from.lat);
      amap.set("slat", fix(flat));
      amap.set("slon", fix(flon));
      amap.set("sname", "我的位置");
      tencent.set("from", "我的位置");
      tencent.set("fromcoord", `${fix(flat)},${fix(flon)}`);
      baidu.set("origin", `latlng:${fix(fblat)},${fix(fblon)}|name:我的位置`);
    }
    return {
      amap: `amapuri://route/plan/?${amap}`,
      tencent: `qqmap://map/routeplan?${tencent}`,
      baidu: `baidumap://map/direction?${baidu}`,
      geo: `geo:${fix(to.lat)},${fix(to.lon)}?q=${fix(to.lat)},${fix(to.lon)}(${label})`,
    };
  }

  return { toGcj02, toBd09, outsideChina, navigationLinks };
})();
