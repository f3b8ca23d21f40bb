/**
 * The small gazetteer of Nanjing's Gulou district (鼓楼区) that both the
 * synthetic generator and the ingest use. The 13 street offices are the real
 * ones; every community name is invented, and each road (names taken from or
 * modelled on the district's streets) is mapped to one invented community,
 * the one a complaint on that road is filed under. Ingest resolves an address to a community only
 * through this table, so an address naming anything else is rejected.
 */

/** One street office (街道) with its communities and the roads filed under them. */
export interface StreetOffice {
  name: string;
  communities: readonly string[];
  /** Road name -> community (one of `communities`) that complaints on it belong to. */
  roads: Readonly<Record<string, string>>;
}

/** The district's street offices, each with four to six invented communities. */
export const gulouStreetOffices: readonly StreetOffice[] = [
  {
    name: '宁海路街道',
    communities: ['颐和新村', '西康苑', '宁海花园', '随园里', '琅琊小区'],
    roads: {
      宁海路: '宁海花园',
      西康路: '西康苑',
      颐和路: '颐和新村',
      北京西路: '随园里',
    },
  },
  {
    name: '华侨路街道',
    communities: ['华侨新村', '五台花园', '汉中苑', '乌龙潭小区', '莫愁里'],
    roads: {
      华侨路: '华侨新村',
      汉中路: '汉中苑',
      广州路: '五台花园',
      虎踞路: '乌龙潭小区',
    },
  },
  {
    name: '湖南路街道',
    communities: [
      '湖南新村',
      '青石苑',
      '马台里',
      '山西花园',
      '云南北里',
      '狮子桥小区',
    ],
    roads: {
      湖南路: '湖南新村',
      山西路: '山西花园',
      云南北路: '云南北里',
      马台街: '马台里',
    },
  },
  {
    name: '中央门街道',
    communities: ['中央新村', '福建苑', '五塘花园', '和燕里'],
    roads: { 中央路: '中央新村', 福建路: '福建苑', 和燕路: '和燕里' },
  },
  {
    name: '挹江门街道',
    communities: ['挹江新村', '姜家圩小区', '绣球苑', '八字山花园'],
    roads: {
      察哈尔路: '挹江新村',
      中山北路: '绣球苑',
      盐仓桥路: '姜家圩小区',
    },
  },
  {
    name: '江东街道',
    communities: [
      '江东花园',
      '草场门新村',
      '龙江苑',
      '清凉里',
      '汉江小区',
      '北河口里',
    ],
    roads: {
      江东北路: '江东花园',
      草场门大街: '草场门新村',
      清凉门大街: '清凉里',
      汉江路: '汉江小区',
      龙园西路: '龙江苑',
    },
  },
  {
    name: '凤凰街道',
    communities: ['凤凰西村', '定淮苑', '三汊河新村', '凤凰花园'],
    roads: {
      凤凰西街: '凤凰西村',
      定淮门大街: '定淮苑',
      三汊河路: '三汊河新村',
    },
  },
  {
    name: '阅江楼街道',
    communities: ['阅江新村', '南祖苑', '金川河花园', '静海里', '仪凤小区'],
    roads: {
      南祖师庵: '南祖苑',
      金川河路: '金川河花园',
      静海寺路: '静海里',
      仪凤门路: '仪凤小区',
    },
  },
  {
    name: '热河南路街道',
    communities: ['热河新村', '大马路花园', '商埠里', '惠民苑'],
    roads: { 热河南路: '热河新村', 大马路: '大马路花园', 商埠街: '商埠里' },
  },
  {
    name: '幕府山街道',
    communities: ['幕府新村', '燕江苑', '老虎山花园', '笆斗里', '五塘北村'],
    roads: {
      幕府西路: '幕府新村',
      燕江路: '燕江苑',
      老虎山路: '老虎山花园',
    },
  },
  {
    name: '建宁路街道',
    communities: ['建宁新村', '船厂小区', '郑和苑', '上元里'],
    roads: { 建宁路: '建宁新村', 郑和中路: '郑和苑', 上元门路: '上元里' },
  },
  {
    name: '宝塔桥街道',
    communities: [
      '宝塔新村',
      '渡江苑',
      '天妃宫花园',
      '小桃园里',
      '护城河小区',
    ],
    roads: {
      宝塔桥东街: '宝塔新村',
      渡江路: '渡江苑',
      天妃宫路: '天妃宫花园',
    },
  },
  {
    name: '小市街道',
    communities: ['小市新村', '南化苑', '姜家园里', '大桥花园'],
    roads: { 小市街: '小市新村', 南化路: '南化苑', 姜家园路: '姜家园里' },
  },
];

/** One name an address may start with, and what it resolves to. */
export interface GazetteerPlace {
  name: string;
  kind: 'residential_community' | 'municipal_road';
  community: string;
  streetOffice: string;
}

/** Every community and road as one flat list, communities first, in gazetteer order. */
export function gazetteerPlaces(): GazetteerPlace[] {
  const communities: GazetteerPlace[] = [];
  const roads: GazetteerPlace[] = [];
  for (const office of gulouStreetOffices) {
    for (const c of office.communities) {
      communities.push({
        name: c,
        kind: 'residential_community',
        community: c,
        streetOffice: office.name,
      });
    }
    for (const [road, community] of Object.entries(office.roads)) {
      roads.push({ name: road, kind: 'municipal_road', community, streetOffice: office.name });
    }
  }
  return [...communities, ...roads];
}
