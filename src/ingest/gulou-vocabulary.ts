/**
 * Word lists the synthetic Gulou generator draws from: caller names, mobile
 * prefixes and the pieces of a colloquial call note. They only have to look
 * like a hotline export; none of them describes a real person.
 */

/** Common surnames, most frequent first (the generator favours the head of the list). */
export const surnames = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹',
  ...'彭曾肖田董袁潘于蒋蔡余杜叶程',
  ...'苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江',
  ...'尹薛段雷侯龙史陶黎贺顾毛郝龚邵',
];

/** Characters used for given names (one or two of them). */
export const givenChars = [
  ...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华玉兰平刚桂霞志红建国',
  ...'文辉鹏飞晓燕春梅海波玲宁',
  ...'德成林亮婷雪琴云凤慧佳俊浩宇欣怡子涵梓萱雨轩博文思远嘉颖永庆',
  ...'福生金宝淑珍秀珍凤英桂芳',
];

/** Three-digit mobile network prefixes of mainland China. */
export const mobilePrefixes = [
  '130',
  '131',
  '132',
  '133',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '155',
  '156',
  '157',
  '158',
  '159',
  '166',
  '173',
  '175',
  '176',
  '177',
  '178',
  '180',
  '181',
  '182',
  '183',
  '185',
  '186',
  '187',
  '188',
  '189',
  '191',
  '198',
  '199',
];

/** Where the water stands, said the way a caller would, for a residential community. */
export const communitySpots = [
  '小区门口',
  '楼下',
  '单元门口',
  '地下车库入口',
  '小区里的主干道',
  '我们楼前面',
  '小区东门',
  '垃圾房那边',
  '物业门口',
];

/** The same for a municipal road. */
export const roadSpots = [
  '路口',
  '公交站台那边',
  '人行道上',
  '桥洞下面',
  '红绿灯那里',
  '非机动车道',
  '地铁口旁边',
];

/** How deep, by band: index 0 shallow (< 10 cm) to 4 very deep (> 60 cm). */
export const depthPhrases = [
  ['积水没过脚面', '地上全是水', '有一层积水'],
  ['积水到小腿', '水有一拃深', '鞋子全湿了'],
  ['积水到膝盖', '积水快到膝盖了', '水没过车轮一半'],
  ['积水到大腿', '水都到排气管了', '积水很深走不过去'],
  ['积水齐腰深', '水快淹到车窗了', '跟河一样'],
];

/** What the caller says it causes or asks for. */
export const consequences = [
  '车都开不出去了',
  '老人孩子出不了门',
  '电动车都泡水了',
  '下水道往外冒水',
  '一楼都进水了',
  '打了好几次电话没人管',
  '希望赶紧派人来排水',
  '行人只能蹚水过去',
  '窨井盖被冲开了很危险',
  '每次下大雨都这样',
  '请尽快处理',
];

/** Openers some callers start with. */
export const openers = ['你好，', '喂，', '我要反映一下，', '又来了，', ''];
